"""The waiting tickets, indexed the ways the queue rules read them.

Kept by `HallState.put_ticket` / `drop_ticket` only. Per service: the tickets (a dict, in
arrival order), the same tickets sorted by (order_key, issued_seq) so a call takes the
first few and an issue counts those ahead with a bisection instead of a scan, and how many
wait per business day. Tickets transferred to one counter are also kept apart (there are
few at any time), since only that counter may call them.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from hall.core.model import CounterId, Ticket, TicketId

Key = tuple[float, int, str]  # order_key, issued_seq, ticket id: unique per ticket


def key_of(t: Ticket) -> Key:
    return (t.order_key, t.issued_seq, t.id)


@dataclass(slots=True)
class ServiceQueue:
    tickets: dict[TicketId, Ticket] = field(default_factory=dict)
    ordered: list[Key] = field(default_factory=list)
    per_day: dict[date, int] = field(default_factory=dict)
    away: int = 0  # remote tickets whose citizen has not arrived (云叫号)

    def add(self, t: Ticket) -> None:
        self.tickets[t.id] = t
        insort(self.ordered, key_of(t))
        self.per_day[t.day] = self.per_day.get(t.day, 0) + 1
        self.away += not t.arrived

    def remove(self, t: Ticket) -> None:
        held = self.tickets.pop(t.id, None)
        if held is None:
            return
        self.away -= not held.arrived
        k = key_of(t)
        i = bisect_left(self.ordered, k)
        if i < len(self.ordered) and self.ordered[i] == k:
            del self.ordered[i]
        left = self.per_day.get(t.day, 0) - 1
        if left > 0:
            self.per_day[t.day] = left
        else:
            self.per_day.pop(t.day, None)

    def at_or_before(self, order_key: float) -> int:
        """How many wait with an order key <= `order_key`."""
        return bisect_right(self.ordered, (order_key, math.inf))

    def before(self, t: Ticket) -> int:
        """How many wait strictly before `t` (by order key, then arrival)."""
        return bisect_left(self.ordered, (t.order_key, t.issued_seq))

    def in_order(self) -> Iterator[Ticket]:
        tickets = self.tickets
        for _k, _s, tid in self.ordered:
            yield tickets[TicketId(tid)]


@dataclass(slots=True)
class WaitingIndex:
    all: dict[TicketId, Ticket] = field(default_factory=dict)
    by_service: dict[str, ServiceQueue] = field(default_factory=dict)
    targeted: dict[TicketId, Ticket] = field(default_factory=dict)  # transferred to a counter

    def add(self, t: Ticket) -> None:
        self.all[t.id] = t
        q = self.by_service.get(t.service)
        if q is None:
            q = self.by_service[t.service] = ServiceQueue()
        q.add(t)
        if t.target_counter is not None:
            self.targeted[t.id] = t

    def remove(self, t: Ticket) -> None:
        old = self.all.pop(t.id, None)
        if old is None:
            return
        q = self.by_service.get(old.service)
        if q is not None:
            q.remove(old)
        self.targeted.pop(old.id, None)

    def queue(self, service: str) -> ServiceQueue | None:
        return self.by_service.get(service)

    def targeted_to(self, counter: CounterId) -> list[Ticket]:
        return [t for t in self.targeted.values() if t.target_counter == counter]
