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


_INF = float("inf")


class _Queue:
    """One service's tickets as the walk sees them: those waiting (keys in minutes from
    now, in order) and the later arrivals, walk-ins and credited, evenly at their rates
    (`walk_at`, `credited_at`: when the next of each arrives; inf when none do)."""

    __slots__ = (
        "credit",
        "credited",
        "credited_at",
        "i",
        "keys",
        "n",
        "nc",
        "nw",
        "walk_at",
        "walk_in",
    )

    def __init__(self, keys: Sequence[float], rates: Rates, walk_ins: bool) -> None:
        self.keys, self.i, self.n = keys, 0, len(keys)
        self.walk_in = rates.walk_in if walk_ins else 0.0
        self.credited, self.credit = rates.credited, rates.credit_minutes
        self.nw = self.nc = 0  # later arrivals taken so far
        self.walk_at = 0.5 / self.walk_in if self.walk_in > 0 else _INF
        self.credited_at = 0.5 / self.credited if self.credited > 0 else _INF

    def take(self, which: int) -> None:
        """The head taken: 0 a waiting ticket, 1 a walk-in, else a credited one."""
        if which == 0:
            self.i += 1
        elif which == 1:
            self.nw += 1
            self.walk_at = (self.nw + 0.5) / self.walk_in
        else:
            self.nc += 1
            if self.credited > 0:
                self.credited_at = (self.nc + 0.5) / self.credited


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
    services' waiting keys in order, `means`: counter minutes per ticket of each service.

    Each step a lane that is free takes the head (the smallest key + its offset; the first
    in its order on a tie) of its services' queues, where a queue's head at time t is its
    first waiting key, or a later arrival already there with a smaller key. The loop is
    written out (no calls per head): it runs on every ticket issued."""
    mine = _Queue([*ahead, key], rates.get(service, Rates()), walk_ins=False)
    qs = {service: mine}
    for codes, _free in lanes:
        for code, _off in codes:
            if code not in qs:
                qs[code] = _Queue(queues.get(code, ()), rates.get(code, Rates()), walk_ins=True)
    # per lane: (queue, its offset, its counter minutes, other work or not) in the lane's order
    plan = [
        tuple((qs[code], off, means[code], code != service) for code, off in codes)
        for codes, _free in lanes
    ]
    idle = (mine, 0.0, means[service], False)
    last = len(ahead)  # the new ticket's place among `mine`'s waiting keys
    work = [0.0] * len(lanes)
    heap = [(free, j) for j, (_c, free) in enumerate(lanes)]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    for _ in range(max_steps):
        t, j = pop(heap)
        best, taken, which = _INF, idle, -1
        for entry in plan[j]:
            q = entry[0]
            k, w = (q.keys[q.i], 0) if q.i < q.n else (_INF, -1)
            at = q.walk_at
            if at <= t and at < k:
                k, w = at, 1
            at = q.credited_at
            if at <= t and at - q.credit < k:
                k, w = at - q.credit, 2
            if k + entry[1] < best:
                best, taken, which = k + entry[1], entry, w
        q, _off, minutes, other = taken
        if q is mine and which == 0 and q.i == last:
            return work  # the new ticket is taken
        q.take(which)
        if other:
            work[j] += minutes
        push(heap, (t + minutes, j))
    return None
