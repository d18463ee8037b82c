"""Speech synthesis to WAV in a killable worker process, with a deadline.

Engines (chosen by name in the configuration, `make_engine`), all speaking tone-numbered
pinyin (`drivers.speech.pinyin`) with espeak-ng's voice ``cmn-latn-pinyin``:

- ``espeak-ng`` (the default): the ``espeak-ng -w FILE`` command. pyttsx3 on Linux is a
  wrapper around the same libespeak-ng, so the voice and the sound are the same, and the
  command is deterministic and cheap (about 25 ms for a sentence).
- ``pyttsx3``: pyttsx3 2.99 can select the voice (``sit/cmn-latn-pinyin``), so it is kept
  as an option; it runs in `pyttsx3_worker.py`, a fresh process per sentence that calls
  ``save_to_file`` once, so its ``runAndWait`` hangs cannot reach us and its silent
  ``aplay`` playback is never used. Checked here: about 1 run in 10 its ``runAndWait``
  returns before the WAV is written (retried within the deadline), it falls back to the
  default voice without an error for an unknown voice name (the worker checks the list),
  and Python start-up costs about 200 ms per sentence. Hence not the default.
- any command: `CommandEngine` takes an argv template with ``{text}`` and ``{out}``;
  the tests use it for engines that hang or fail.

Every engine's audio peaks at most 3 dB below full scale (`audio.HEADROOM_PEAK`): espeak-ng
itself writes sentences whose loudest samples reach 32,700 and more.

A process that outlives its deadline is killed with its process group; any failure is a
`SpeechError` naming the engine and the reason.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from .audio import Audio, AudioFormatError, limit_peak, read_wav
from .pinyin import to_pinyin
from .process import DeadlineExpired, run_with_deadline
from .text import Phrase

_log = logging.getLogger(__name__)

VOICE = "cmn-latn-pinyin"
DEFAULT_RATE_WPM = 150
ENGINE_NAMES = ("espeak-ng", "pyttsx3")
WORKER = Path(__file__).with_name("pyttsx3_worker.py")
PYTTSX3_NOTHING_WRITTEN = frozenset({4})  # the worker's exit code for pyttsx3's lost file


class SpeechError(RuntimeError):
    """Synthesis failed or timed out; the message says which engine and why.

    `state` is the short code a device report carries: ``failed``, ``timeout``,
    ``not_installed`` (the engine cannot start) or ``no_output``.
    """

    def __init__(self, message: str, state: str = "failed") -> None:
        super().__init__(message)
        self.state = state


class SpeechEngine(Protocol):
    name: str

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        """Speak `phrase` into audio within `timeout` seconds, or raise SpeechError."""
        ...


class CommandEngine:
    """Runs an argv template with ``{text}`` (pinyin) and ``{out}`` (WAV path) filled in."""

    def __init__(
        self, name: str, argv: Sequence[str], retry_exit_codes: frozenset[int] = frozenset()
    ) -> None:
        if not argv:
            raise ValueError("engine command is empty")
        self.name = name
        self.argv = tuple(argv)
        self.retry_exit_codes = retry_exit_codes

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        text = to_pinyin(phrase.tokens)
        if not text:
            raise SpeechError(f"{self.name}: nothing to speak in {phrase.display!r}", "no_output")
        with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
            out = Path(tmp) / "sentence.wav"
            argv = [arg.replace("{text}", text).replace("{out}", str(out)) for arg in self.argv]
            self._run(argv, timeout)
            try:
                audio = read_wav(out)
            except (OSError, AudioFormatError) as exc:
                raise SpeechError(
                    f"{self.name}: no usable WAV written ({exc})", "no_output"
                ) from exc
        if not audio.samples:
            raise SpeechError(f"{self.name}: empty WAV for {phrase.display!r}", "no_output")
        return limit_peak(audio)  # espeak-ng writes up to full scale: keep 3 dB headroom

    def _run(self, argv: Sequence[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                finished = run_with_deadline(argv, max(0.01, remaining))
            except OSError as exc:
                raise SpeechError(
                    f"{self.name}: cannot start {argv[0]!r}: {exc}", "not_installed"
                ) from exc
            except DeadlineExpired:
                raise SpeechError(
                    f"{self.name}: no result within {timeout:.1f} s; killed", "timeout"
                ) from None
            if finished.returncode == 0:
                return
            if finished.returncode in self.retry_exit_codes and time.monotonic() < deadline:
                _log.info("%s: exit %d, retrying", self.name, finished.returncode)
                continue
            raise SpeechError(
                f"{self.name}: exit code {finished.returncode}: {finished.last_line()}"
            )


def pyttsx3_engine(voice: str = VOICE, rate_wpm: int = DEFAULT_RATE_WPM) -> CommandEngine:
    argv = [sys.executable, str(WORKER), "--voice", voice, "--rate", str(rate_wpm)]
    return CommandEngine(
        "pyttsx3", [*argv, "--out", "{out}", "{text}"], retry_exit_codes=PYTTSX3_NOTHING_WRITTEN
    )


def espeak_engine(voice: str = VOICE, rate_wpm: int = DEFAULT_RATE_WPM) -> CommandEngine:
    argv = ["espeak-ng", "-v", voice, "-s", str(rate_wpm), "-w", "{out}", "{text}"]
    return CommandEngine("espeak-ng", argv)


def make_engine(
    name: str = "espeak-ng",
    *,
    voice: str = VOICE,
    rate_wpm: int = DEFAULT_RATE_WPM,
    pack_dir: Path | None = None,
) -> SpeechEngine:
    """The engine called `name`, inside a voice pack when `pack_dir` is given."""
    if name == "espeak-ng":
        engine: SpeechEngine = espeak_engine(voice, rate_wpm)
    elif name == "pyttsx3":
        engine = pyttsx3_engine(voice, rate_wpm)
    else:
        raise ValueError(f"unknown speech engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    if pack_dir is not None:
        from .voicepack import VoicePackEngine

        return VoicePackEngine(pack_dir, engine)
    return engine
