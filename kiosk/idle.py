"""Going back to the home screen when nobody touches the kiosk: pure, time passed in."""

from __future__ import annotations

import math


class IdleTimer:
    """Counts from the last touch. ``countdown`` gives the seconds to show in the last
    ``countdown_s`` seconds, or None (elder mode shows no countdown: ``show=False``)."""

    def __init__(self, timeout_s: float, countdown_s: float, now: float) -> None:
        self.timeout_s = timeout_s
        self.countdown_s = countdown_s
        self.show = True
        self._last = now

    def touch(self, now: float) -> None:
        self._last = now

    def reset(self, timeout_s: float, *, show: bool, now: float) -> None:
        self.timeout_s = timeout_s
        self.show = show
        self._last = now

    def remaining(self, now: float) -> float:
        return max(0.0, self.timeout_s - (now - self._last))

    def expired(self, now: float) -> bool:
        return self.remaining(now) <= 0.0

    def countdown(self, now: float) -> int | None:
        left = self.remaining(now)
        if not self.show or left > self.countdown_s or left <= 0:
            return None
        return math.ceil(left)
