"""Estimated waiting time per service.

Method (docs/QUEUE_RULES.md): each service keeps an exponentially weighted moving average
(EWMA, weight `ewma_alpha` on the newest) of observed service times, from start (or call)
to finish, starting from the catalog's `avg_minutes`. The wait of a ticket with `ahead`
tickets before it is

    ahead × ewma / n  +  (ewma / 2 / n if every one of the n counters is busy)

where n is the number of open counters that serve the service (all configured counters
for it when none is open yet; if none serves it at all, the estimate is unknown).
"""

from __future__ import annotations

import math

from hall.core.model import CounterState, Ticket
from hall.core.state import HallState


def serving_counters(state: HallState, service: str) -> tuple[int, int, int]:
    """(open counters serving it, how many of those are busy, configured counters serving it)."""
    open_n = busy = configured = 0
    for c in state.counters.values():
        if service not in c.spec.services:
            continue
        configured += 1
        if c.state is CounterState.OPEN:
            open_n += 1
            if c.current is not None:
                busy += 1
    return open_n, busy, configured


def ahead_of(state: HallState, ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before this one."""
    queue = state.waiting_index.queue(ticket.service)
    return queue.before(ticket) if queue is not None else 0


def waiting_count(state: HallState, service: str) -> int:
    return len(state.waiting_in(service))


def estimate_minutes(state: HallState, service: str, ahead: int) -> int | None:
    open_n, busy, configured = serving_counters(state, service)
    n = open_n or configured
    if n == 0:
        return None
    ewma = state.service_stats(service).ewma_minutes
    wait = ahead * ewma / n
    if open_n and busy >= open_n:
        wait += ewma / 2 / n
    return math.ceil(wait)
