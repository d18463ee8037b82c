"""Reconnect delays: exponential backoff with full jitter, and a quick first retry.

After a city-wide outage thousands of halls come back at once; each waits a uniformly random
time between 0 and min(cap, base · 2^attempt) ("full jitter"), which spreads them out.
A connection that held `stable_after` seconds and then dropped starts again from attempt 0,
and its first retry waits at most `first` seconds (full jitter too): a broker restart or a
blip costs a client a fraction of a second, while one that keeps failing backs off.
tenacity's `wait_random_exponential` computes the same delays, but a reconnect loop is not a
call to retry (it resets after a connection that held, and is interrupted by shutdown), so
the few lines live here with their own tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(
        self,
        base: float,
        cap: float,
        *,
        first: float | None = None,
        rand: Callable[[], float] = random.random,
        stable_after: float = 60.0,
    ) -> None:
        self.base = base
        self.cap = cap
        self.first = base if first is None else min(first, base)
        self.attempt = 0
        self.stable_after = stable_after
        self._rand = rand
        self._after_drop = False  # the next delay is the first after a connection that held

    def ceiling(self) -> float:
        if self._after_drop and self.attempt == 0:
            return self.first
        return float(min(self.cap, self.base * 2 ** min(self.attempt, 62)))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        delay = self._rand() * self.ceiling()
        self.attempt += 1
        self._after_drop = False
        return delay

    def connected_for(self, seconds: float) -> None:
        """A connection that held `stable_after` seconds resets the backoff (its first retry
        is quick); a flapping broker that accepts and drops at once keeps the delays growing."""
        if seconds >= self.stable_after:
            self.attempt = 0
            self._after_drop = True
