"""Worker process: synthesise one line of pinyin to a WAV file with pyttsx3 and exit.

Run as a script (`python pyttsx3_worker.py --voice V --rate R --out F TEXT`) by
`drivers.speech.engine`, which kills it at a deadline: pyttsx3's `runAndWait` is known to
hang on repeated use and in threads, and on Linux `say()` plays through `aplay` and stays
silent without an error when that is missing. Here pyttsx3 only ever saves one file, once,
in a fresh process. This is the one module that imports pyttsx3.

Measured with pyttsx3 2.99 on Debian 12: in about 1 run in 10 `runAndWait` returns before
the file is written (a race between its loop and espeak's callback); this exits 4 then, and
the engine retries within its deadline.

Also measured: in 1 to 5 runs of 30 the rate set with `setProperty` is lost (pyttsx3 sets its
own default, 200, through espeak's asynchronous parameter queue, and the order is not
kept), so a sentence came out at 200 words a minute instead of 150. The rate is therefore
also given inside the text as espeak-ng's embedded command ``\\x01<rate>S``, which espeak
applies in order with the text: then every one of 30 runs that wrote a file had the rate.

Exit codes: 0 written, 2 bad arguments, 3 voice not available, 4 nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voice", required=True, help="espeak-ng voice, e.g. cmn-latn-pinyin")
    parser.add_argument("--rate", type=int, required=True, help="words per minute")
    parser.add_argument("--out", type=Path, required=True, help="WAV file to write")
    parser.add_argument("text")
    args = parser.parse_args(argv)

    import pyttsx3  # imported here so `--help` works without it

    engine = pyttsx3.init("espeak")
    # pyttsx3 falls back to the default voice without an error for an unknown name: check.
    voice_ids = [str(v.id) for v in engine.getProperty("voices")]
    wanted = [v for v in voice_ids if v == args.voice or v.rsplit("/", 1)[-1] == args.voice]
    if not wanted:
        print(f"pyttsx3: voice {args.voice!r} not installed", file=sys.stderr)
        return 3
    engine.setProperty("voice", wanted[0])
    engine.setProperty("rate", args.rate)
    embedded_rate = f"\x01{args.rate}S"  # espeak-ng's in-text speed command, see above
    engine.save_to_file(embedded_rate + args.text, str(args.out))
    engine.runAndWait()  # prints "Audio saved to ..." on stdout, which the caller discards
    if not args.out.is_file() or args.out.stat().st_size <= 44:
        print(f"pyttsx3: nothing written to {args.out}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
