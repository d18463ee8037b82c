"""Each line's health: its counters written to the pads' memory for `hall doctor`, and a
state reported to the hub (`report_device`, device ``<pads id>/<line>``, kind ``pad``).

Every ``interval`` seconds (and at stop) the counters of every line (bad CRCs, bytes of
noise, stray frames, frames from unconfigured addresses, timeouts, retries, busy answers,
NAKs, overflows, reboots …) are written to the memory file (:class:`LineHealth`); the
noise logs' pending summaries are flushed. A line is *noisy* when an interval brought
``NOISY_FRAMES`` bad frames or ``NOISY_BYTES`` bytes of noise; the hub hears of a change
between ``ok`` and ``noisy`` (with the interval's figures as the detail; a line that was
never noisy is not reported), so the hall's devices state and `hall doctor` on the hub show
it too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Protocol

from counter_pad.durable import DurableState, LineHealth
from counter_pad.noise import NoiseLog

log = logging.getLogger(__name__)

INTERVAL_S = 10.0
BAD_FRAMES = ("bad_crc", "stray_frames", "foreign_frames", "bad_replies")
NOISY_FRAMES = 10
NOISY_BYTES = 200
SHOWN = (
    "bad_crc",
    "noise_bytes",
    "stray_frames",
    "foreign_frames",
    "bad_replies",
    "timeouts",
    "retries",
    "busy",
    "nak",
    "offline",
    "overflow",
    "same_boot_reboots",
    "refused_keys",
)


class Line(Protocol):
    stats: Counter[str]
    noise: NoiseLog


Report = Callable[[str, bool, str, str], None]  # line, ok, state, detail


def noisy(before: Mapping[str, int], now: Mapping[str, int]) -> bool:
    """Whether the counters grew by a noisy interval's worth."""
    frames = sum(now.get(k, 0) - before.get(k, 0) for k in BAD_FRAMES)
    noise = now.get("noise_bytes", 0) - before.get("noise_bytes", 0)
    return frames >= NOISY_FRAMES or noise >= NOISY_BYTES


def summary(counters: Mapping[str, int], since: Mapping[str, int] | None = None) -> str:
    """ "bad_crc 3, noise_bytes 120, timeouts 4" (growth since ``since`` when given)."""
    base = since or {}
    parts = [
        f"{k} {counters.get(k, 0) - base.get(k, 0)}"
        for k in SHOWN
        if counters.get(k, 0) - base.get(k, 0)
    ]
    return ", ".join(parts) or "clean"


class LineHealthWriter:
    """A thread that writes each line's counters and reports noisy lines to the hub."""

    def __init__(
        self,
        lines: Mapping[str, Line],
        store: DurableState,
        report: Report,
        *,
        interval: float = INTERVAL_S,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.lines = lines
        self.store = store
        self.report = report
        self.interval = interval
        self.wall = wall
        self._before: dict[str, dict[str, int]] = {}
        self._state: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pads-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.write()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except Exception:  # never let the health thread die; say so once per interval
                log.exception("line health not written")

    def write(self) -> None:
        """Write every line's counters now; report the lines whose state changed."""
        for name, line in self.lines.items():
            line.noise.flush()
            counters = {k: int(n) for k, n in line.stats.items() if n}
            before = self._before.get(name, {})
            recent = {k: n - before.get(k, 0) for k, n in counters.items() if n - before.get(k, 0)}
            self.store.health_put(LineHealth(name, counters, self.wall(), recent, self.interval))
            state = "noisy" if noisy(before, counters) else "ok"
            if self._state.get(name, "ok") != state:  # a clean line is not reported
                self._state[name] = state
                detail = f"last {self.interval:g} s: {summary(counters, before)}"
                self.report(name, state == "ok", state, detail)
            self._before[name] = counters
