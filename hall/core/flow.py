"""What the day's tickets tell the wait estimate: counter time per ticket, arrival rates.

Kept by `HallState.put_ticket` / `drop_ticket` only, like the waiting index, so it is a
function of the open day's tickets: applying the log builds it, and so does loading the
tickets from the tables after a restart (no table of its own). Per business day and service:

- counter time: how long a counter is taken by one ticket, summed in whole milliseconds
  (exact, in any order) with how many tickets made it. A served ticket counts from its
  (last) call to its finish; a no-show, skipped after its recalls, from its first call to
  its last recall, stretched by one more interval (the wait before the skip). Times outside
  the rules' `min_service_minutes`–`max_service_minutes` (a FINISH pressed at once or
  forgotten) are left out, as the learned service time leaves them out;
- each counter's last call or finish, so a counter left open while tickets wait can be
  told from one that is working;
- arrivals, as exponentially decayed sums (time constant `TAU_S`) anchored at the day's
  first arrival: walk-ins (no credit), tickets with a credit (绿色通道, appointments: their
  order key is earlier than their issue time), and those tickets' credit minutes. From these,
  `rates` gives arrivals per minute at any time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from hall.core.model import Ticket, TicketState
from hall.core.rules import Rules

TAU_S = 30 * 60.0  # arrival rates: the last half hour counts most
_MAX_EXP = 700.0  # exp() stays finite


class Rates(NamedTuple):
    """Arrivals per minute of one service: walk-ins, credited tickets, their mean credit."""

    walk_in: float = 0.0
    credited: float = 0.0
    credit_minutes: float = 0.0  # mean credit of a credited ticket


@dataclass(slots=True)
class DayFlow:
    anchor: float  # issue time of the day's first ticket: the decayed sums' origin
    tickets: int = 0  # tickets of the day in the index (the day leaves with its last)
    counter_ms: dict[str, int] = field(default_factory=dict)  # service → summed counter time
    counted: dict[str, int] = field(default_factory=dict)  # service → tickets in counter_ms
    walk_in: dict[str, float] = field(default_factory=dict)  # service → Σ exp((t − anchor)/τ)
    credited: dict[str, float] = field(default_factory=dict)
    credit_min: dict[str, float] = field(default_factory=dict)  # Σ exp(…) × credit minutes
    last_active: dict[str, float] = field(default_factory=dict)  # counter → last call/finish

    def rates(self, service: str, now: float) -> Rates:
        """Arrivals per minute of the service around `now`."""
        decay = math.exp(max((self.anchor - now) / TAU_S, -_MAX_EXP)) / (TAU_S / 60.0)
        credited = self.credited.get(service, 0.0)
        return Rates(
            self.walk_in.get(service, 0.0) * decay,
            credited * decay,
            self.credit_min.get(service, 0.0) / credited if credited else 0.0,
        )

    def counter_time(self, service: str) -> tuple[float, int]:
        """(summed counter minutes, tickets) of the service."""
        return self.counter_ms.get(service, 0) / 60_000.0, self.counted.get(service, 0)


def _ended(t: Ticket) -> bool:
    return t.state is TicketState.FINISHED or t.state is TicketState.SKIPPED


def counter_ms(t: Ticket, min_minutes: float, max_minutes: float) -> int | None:
    """How long the ticket took its counter (ms), or None if it cannot be told or is out
    of the rules' range (a FINISH pressed at once, or forgotten)."""
    if t.called_at is None:
        return None
    if t.state is TicketState.FINISHED and t.finished_at is not None:
        span = t.finished_at - t.called_at
    elif t.state is TicketState.SKIPPED and t.first_called_at is not None and t.calls > 1:
        span = (t.called_at - t.first_called_at) * t.calls / (t.calls - 1)
    else:
        return None
    if not min_minutes * 60 <= span <= max_minutes * 60:
        return None
    return round(span * 1000)


@dataclass(slots=True)
class FlowIndex:
    days: dict[date, DayFlow] = field(default_factory=dict)

    def put(self, old: Ticket | None, t: Ticket, rules: Rules) -> None:
        """A ticket as it now stands (`old`: as it stood before, None if new here)."""
        if old is None:
            self._arrived(t)
        d = self.days.get(t.day)
        if d is None:
            return
        if t.counter is not None and t.called_at is not None:
            active = max(t.called_at, t.finished_at or 0.0)
            if active > d.last_active.get(t.counter, 0.0):
                d.last_active[t.counter] = active
        if _ended(t) and (old is None or not _ended(old)):
            ms = counter_ms(t, rules.min_service_minutes, rules.max_service_minutes)
            if ms is not None:
                d.counter_ms[t.service] = d.counter_ms.get(t.service, 0) + ms
                d.counted[t.service] = d.counted.get(t.service, 0) + 1

    def drop(self, t: Ticket) -> None:
        d = self.days.get(t.day)
        if d is not None:
            d.tickets -= 1
            if d.tickets <= 0:
                del self.days[t.day]

    def _arrived(self, t: Ticket) -> None:
        d = self.days.get(t.day)
        if d is None:
            d = self.days[t.day] = DayFlow(anchor=t.issued_at)
        d.tickets += 1
        w = math.exp(min((t.issued_at - d.anchor) / TAU_S, _MAX_EXP))
        credit = (t.issued_at - t.order_key) / 60.0
        s = t.service
        if credit > 0:
            d.credited[s] = d.credited.get(s, 0.0) + w
            d.credit_min[s] = d.credit_min.get(s, 0.0) + w * credit
        else:
            d.walk_in[s] = d.walk_in.get(s, 0.0) + w

    # --- reading -------------------------------------------------------------------------

    def counter_time(self, day: date | None, service: str) -> tuple[float, int]:
        """(summed counter minutes, tickets) of the service on the day."""
        d = self.days.get(day) if day is not None else None
        return d.counter_time(service) if d is not None else (0.0, 0)

    def last_active(self, day: date | None, counter: str) -> float | None:
        """When the counter last called or finished a ticket of the day (None: not yet)."""
        d = self.days.get(day) if day is not None else None
        return d.last_active.get(counter) if d is not None else None

    def rates(self, day: date | None, service: str, now: float) -> Rates:
        d = self.days.get(day) if day is not None else None
        return d.rates(service, now) if d is not None else Rates()
