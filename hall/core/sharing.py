"""What counters serving several services do before a new ticket's call: a quick walk of
the queue rules with expected counter times (docs/QUEUE_RULES.md, "Estimated wait").

A counter takes, each time it is free, the waiting ticket with the smallest order key +
`preference_step_minutes` per place in its list (hall/core/selection.py). Which other
services' tickets it takes before a new ticket depends on how the queues' heads move, not
on the new ticket's key alone: two groups of counters that rank two services the other way
round mostly work through their own first service each, and only help the other queue when
its head has waited a preference step longer. So the rule is played forward, every ticket
taking its counter's expected time, until the new ticket is taken: the waiting tickets,
and later arrivals at the day's rates (a walk-in's key is its arrival, a credited one's
its arrival − its credit). Pure, and bounded: past `max_steps` calls it gives up (None).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from hall.core.flow import Rates

MAX_STEPS = 60  # calls played forward before giving up (a long queue: the closed form)


class _Queue:
    """One service's tickets as the walk sees them: those waiting (keys in minutes from
    now, in order) and the later arrivals, walk-ins and credited, evenly at their rates."""

    __slots__ = ("credit", "credited", "i", "keys", "nc", "nw", "walk_in")

    def __init__(self, keys: Sequence[float], rates: Rates, walk_ins: bool) -> None:
        self.keys, self.i = keys, 0
        self.walk_in = rates.walk_in if walk_ins else 0.0
        self.credited, self.credit = rates.credited, rates.credit_minutes
        self.nw = self.nc = 0  # later arrivals taken so far

    def _walk_in_at(self) -> float:
        return (self.nw + 0.5) / self.walk_in if self.walk_in > 0 else float("inf")

    def _credited_at(self) -> float:
        return (self.nc + 0.5) / self.credited if self.credited > 0 else float("inf")

    def head(self, t: float) -> tuple[float, int]:
        """(key, which: 0 waiting, 1 walk-in, 2 credited) of the first ticket here at t;
        key inf when none."""
        best, which = float("inf"), -1
        if self.i < len(self.keys):
            best, which = self.keys[self.i], 0
        at = self._walk_in_at()
        if at <= t and at < best:
            best, which = at, 1
        at = self._credited_at()
        if at <= t and at - self.credit < best:
            best, which = at - self.credit, 2
        return best, which

    def take(self, which: int) -> None:
        if which == 0:
            self.i += 1
        elif which == 1:
            self.nw += 1
        else:
            self.nc += 1

    def next_arrival(self) -> float:
        return min(self._walk_in_at(), self._credited_at())


def other_work(
    lanes: Sequence[tuple[Sequence[tuple[str, float]], float]],
    service: str,
    ahead: Sequence[float],
    key: float,
    queues: Mapping[str, Sequence[float]],
    means: Mapping[str, float],
    rates: Mapping[str, Rates],
    max_steps: int = MAX_STEPS,
) -> list[float] | None:
    """Per lane, the minutes it spends on other services' tickets before a new ticket of
    `service` (key `key`, the keys `ahead` before it) is taken; None past `max_steps` calls.

    A lane: ((service, minutes added to its keys) in its order, minutes until it is free);
    every lane serves `service`. Keys and times are minutes from now; `queues`: the other
    services' waiting keys in order, `means`: counter minutes per ticket of each service."""
    mine = _Queue([*ahead, key], rates.get(service, Rates()), walk_ins=False)
    qs = {service: mine}
    for codes, _free in lanes:
        for code, _off in codes:
            if code not in qs:
                qs[code] = _Queue(queues.get(code, ()), rates.get(code, Rates()), walk_ins=True)
    last = len(ahead)  # the new ticket's place among `mine`'s waiting keys
    work = [0.0] * len(lanes)
    heap = [(free, j) for j, (_c, free) in enumerate(lanes)]
    heapq.heapify(heap)
    for _ in range(max_steps):
        t, j = heapq.heappop(heap)
        best, code, which = float("inf"), service, -1
        for c, off in lanes[j][0]:
            k, w = qs[c].head(t)
            if k + off < best:
                best, code, which = k + off, c, w
        q = qs[code]
        if code == service and which == 0 and q.i == last:
            return work  # the new ticket is taken
        q.take(which)
        if code != service:
            work[j] += means[code]
        heapq.heappush(heap, (t + means[code], j))
    return None
