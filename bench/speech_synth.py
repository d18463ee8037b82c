"""Speech latency: bare synthesis of one sentence vs announce() to the audio handed over.

    .venv/bin/python bench/speech_synth.py [--engine espeak-ng|pyttsx3|all] [--runs 20]

For each engine, prints p50/p99 of (1) the engine synthesising "请 A012 号到 3 号窗口办理"
alone, and (2) the time from `Announcer.announce()` of that call to the joined audio
(chime + sentence x 2) being handed to the player (a `NullPlayer` that records the moment),
then their difference: the announcer's own overhead (queueing, thread hand-off, joining,
volume). The issue's target: audio start within the synthesis time plus 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.speech.announcer import Announcer
from drivers.speech.engine import ENGINE_NAMES, SpeechEngine, make_engine
from drivers.speech.player import NullPlayer
from drivers.speech.text import Call, call_phrase

CALL = Call("A012", "3")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def bare_synthesis(engine: SpeechEngine, runs: int) -> list[float]:
    phrase = call_phrase(CALL)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        engine.synthesize(phrase, timeout=30)
        times.append(time.perf_counter() - start)
    return times


def announce_to_player(engine: SpeechEngine, runs: int) -> list[float]:
    player = NullPlayer()
    announcer = Announcer(engine, player)
    announcer.start()
    times = []
    try:
        for _ in range(runs):
            start = time.monotonic()
            announcer.announce(CALL)
            if not announcer.wait_idle(60):
                raise SystemExit("announcer did not finish within 60 s")
            times.append(player.played[-1].started - start)
    finally:
        announcer.stop()
    return times


def line(label: str, values: list[float]) -> str:
    p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
    return f"  {label:<34} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=[*ENGINE_NAMES, "all"], default="all")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    names = ENGINE_NAMES if args.engine == "all" else (args.engine,)
    print(f"sentence: {call_phrase(CALL).display}")
    for name in names:
        engine = make_engine(name)
        engine.synthesize(call_phrase(CALL), timeout=30)  # warm the page cache
        synth = bare_synthesis(engine, args.runs)
        handed = announce_to_player(engine, args.runs)
        print(f"engine {name}:")
        print(line("bare synthesis", synth))
        print(line("announce() -> audio to player", handed))
        p50 = (percentile(handed, 50) - percentile(synth, 50)) * 1000
        p99 = (percentile(handed, 99) - percentile(synth, 99)) * 1000
        ratio = statistics.median(handed) / statistics.median(synth)
        print(f"  {'overhead (announce - synthesis)':<34} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
        print(f"  {'ratio of medians':<34} {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
