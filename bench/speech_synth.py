"""Speech latency: bare synthesis of one sentence vs announce() to the audio handed over.

    .venv/bin/python bench/speech_synth.py [--engine espeak-ng|pyttsx3|all] [--runs 20]

For each engine, prints p50/p99 of (1) the engine synthesising "请 A012 号到 3 号窗口办理"
alone, and (2) the time from `Announcer.announce()` of that call to the joined audio
(chime + sentence x 2) being handed to the player (a `NullPlayer` that records the moment),
and the announcer's own overhead (queueing, thread hand-off, trimming, joining, volume),
paired per run with the synthesis that ran inside it, so machine noise cancels.
The issue's target: audio start within the synthesis time plus 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.speech.announcer import Announcer
from drivers.speech.audio import Audio
from drivers.speech.engine import ENGINE_NAMES, SpeechEngine, make_engine
from drivers.speech.player import NullPlayer
from drivers.speech.text import Call, Phrase, call_phrase

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


class TimedEngine:
    """Records how long each synthesis inside the announcer took, to pair with its run."""

    def __init__(self, inner: SpeechEngine) -> None:
        self.name = inner.name
        self.inner = inner
        self.times: list[float] = []

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        start = time.monotonic()
        try:
            return self.inner.synthesize(phrase, timeout)
        finally:
            self.times.append(time.monotonic() - start)


def announce_to_player(engine: SpeechEngine, runs: int) -> tuple[list[float], list[float]]:
    """Per run: announce() to audio handed over, and that same run's synthesis time."""
    player = NullPlayer()
    timed = TimedEngine(engine)
    announcer = Announcer(timed, player)
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
    return times, timed.times


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
        handed, inner = announce_to_player(engine, args.runs)
        overhead = [h - s for h, s in zip(handed, inner, strict=True)]
        print(f"engine {name}:")
        print(line("bare synthesis", synth))
        print(line("announce() -> audio to player", handed))
        print(line("  of which synthesis (same runs)", inner))
        print(line("overhead, paired per run", overhead))
        ratio = statistics.median(handed) / statistics.median(synth)
        print(f"  {'ratio announce/bare (medians)':<34} {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
