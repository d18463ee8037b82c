"""Reconnect delays: exponential backoff with full jitter.

After a city-wide outage thousands of halls come back at once; each waits a uniformly random
time between 0 and min(cap, base · 2^attempt) ("full jitter"), which spreads them out.
tenacity's `wait_random_exponential` computes the same, but a reconnect loop is not a call
to retry (it resets after a connection that held, and is interrupted by shutdown), so the
few lines live here with their own tests.
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
        rand: Callable[[], float] = random.random,
        stable_after: float = 60.0,
    ) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0
        self.stable_after = stable_after
        self._rand = rand

    def ceiling(self) -> float:
        return float(min(self.cap, self.base * 2 ** min(self.attempt, 62)))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        delay = self._rand() * self.ceiling()
        self.attempt += 1
        return delay

    def connected_for(self, seconds: float) -> None:
        """A connection that held `stable_after` seconds resets the backoff; a flapping
        broker that accepts and drops at once keeps the delays growing."""
        if seconds >= self.stable_after:
            self.attempt = 0
