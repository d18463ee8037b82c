"""The real clock (the only place the wall and monotonic clocks are read)."""

from __future__ import annotations

import time


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()
