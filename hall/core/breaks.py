"""The service's hours in the wait estimate: counters stand still between two spans."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hall.core.model import OpeningHours
from hall.core.state import HallState
from hall.core.timekeeping import local

Spans = tuple[tuple[float, float], ...]
_SEEN: dict[str, tuple[tuple[OpeningHours, ...], date, ZoneInfo, Spans]] = {}


def break_minutes(state: HallState, service: str, now: float, wait: float) -> float:
    """Minutes the service's counters stand still between spans of its hours (the lunch
    break) before a call `wait` minutes from now: each span of today's hours that ends
    after now and before the call adds the time until the next span starts."""
    svc = state.catalog.get(service)
    if svc is None or len(svc.hours) < 2:
        return 0.0
    day = local(now, state.tz).date()
    seen = _SEEN.get(svc.code)
    if seen is not None and seen[0] is svc.hours and seen[1] == day and seen[2] is state.tz:
        spans = seen[3]
    else:  # worked out once a day and service (found by identity: hashing hours costs more)
        spans = _spans(svc.hours, day, state.tz)
        _SEEN[svc.code] = (svc.hours, day, state.tz, spans)
    call, added = now + wait * 60, 0.0
    for (_s, end), (start, _e) in itertools.pairwise(spans):
        if now < end < call and start > end:
            added += start - end
            call += start - end
    return added / 60


def _spans(
    hours: tuple[OpeningHours, ...], day: date, tz: ZoneInfo
) -> tuple[tuple[float, float], ...]:
    """A day's spans of the hours as epoch seconds, in order."""
    weekday = day.isoweekday()
    return tuple(
        sorted(
            (
                datetime.combine(day, h.start, tz).timestamp(),
                datetime.combine(day, h.end, tz).timestamp(),
            )
            for h in hours
            if weekday in h.days
        )
    )
