"""Simulated time kept in step with the wall clock, for the desktop demo's paced day.

``Pacer(clock, pace).until(ts)`` moves ``clock`` to ``ts`` no sooner than ``pace`` simulated
seconds per wall second since the pacer began: the time the hub's commands take counts, so
a slow or busy box does not make the day fall behind, and events that are due fire at once.
"""

from __future__ import annotations

import threading
import time

from hall.core.timekeeping import FixedClock

STEP_S = 0.1
"""The longest wall-clock wait between two moves of the clock (the display's time moves)."""


class Pacer:
    def __init__(self, clock: FixedClock, pace: float, stop: threading.Event | None = None) -> None:
        if pace <= 0:
            raise ValueError(f"pace must be above 0, got {pace}")
        self.clock = clock
        self.pace = pace
        self.stop = stop or threading.Event()
        self._t0 = clock.t
        self._wall0 = time.monotonic()

    def now(self) -> float:
        """The simulated time the wall clock has reached."""
        return self._t0 + (time.monotonic() - self._wall0) * self.pace

    def until(self, ts: float) -> bool:
        """Moves the clock to ``ts`` at the pace; False once ``stop`` is set."""
        while self.clock.t < ts:
            target = min(ts, self.now())
            if target > self.clock.t:
                self.clock.advance(target - self.clock.t)
            if self.clock.t >= ts:
                break
            if self.stop.wait(min(STEP_S, (ts - self.clock.t) / self.pace)):
                return False
        return not self.stop.is_set()
