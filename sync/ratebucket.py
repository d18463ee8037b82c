"""The backlog's rate bound (`backlog_rate` events a second): a token bucket that holds one
full batch, or a second's worth when that is more. Rate 0: no bound."""

from __future__ import annotations


class RateBucket:
    def __init__(self, rate: int, batch_max: int, now: float) -> None:
        self.rate = rate
        self.cap = max(float(batch_max), float(rate))
        self.tokens = float(batch_max)
        self._at = now

    def allows(self, want: int, now: float) -> int:
        """How many of `want` events may go now: all of them, or none (a partial batch would
        only fragment the stream)."""
        if self.rate <= 0:
            return want
        self.tokens = min(self.cap, self.tokens + (now - self._at) * self.rate)
        self._at = now
        return want if self.tokens >= want else 0

    def spend(self, n: int) -> None:
        if self.rate > 0:
            self.tokens -= n
