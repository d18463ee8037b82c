"""The service's hours in the wait estimate: counters stand still between two spans."""

from __future__ import annotations

import itertools
from datetime import datetime

from hall.core.state import HallState
from hall.core.timekeeping import local


def break_minutes(state: HallState, service: str, now: float, wait: float) -> float:
    """Minutes the service's counters stand still between spans of its hours (the lunch
    break) before a call `wait` minutes from now: each span of today's hours that ends
    after now and before the call adds the time until the next span starts."""
    svc = state.catalog.get(service)
    if svc is None or len(svc.hours) < 2:
        return 0.0
    lt = local(now, state.tz)
    day, weekday = lt.date(), lt.isoweekday()
    spans = sorted(
        (
            datetime.combine(day, h.start, state.tz).timestamp(),
            datetime.combine(day, h.end, state.tz).timestamp(),
        )
        for h in svc.hours
        if weekday in h.days
    )
    call, added = now + wait * 60, 0.0
    for (_s, end), (start, _e) in itertools.pairwise(spans):
        if now < end < call and start > end:
            added += start - end
            call += start - end
    return added / 60
