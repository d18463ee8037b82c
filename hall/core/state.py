"""The hall's state, and how each event changes it (`apply`).

`apply` is the only place state changes. It is deterministic: the same events give the
same state, which is how the store's tables can be rebuilt from the event log.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from hall.core.chain import GENESIS
from hall.core.flow import FlowIndex
from hall.core.model import (
    Appointment,
    AppointmentId,
    Catalog,
    Counter,
    CounterId,
    DeviceState,
    Evaluation,
    ServiceCode,
    ServiceStats,
    Ticket,
    TicketId,
    TicketState,
)
from hall.core.rules import Rules
from hall.core.timekeeping import business_day
from hall.core.waiting import WaitingIndex

Touched = set[tuple[str, str]]


@dataclass(slots=True)
class HallState:
    hall_id: str
    tz: ZoneInfo
    rules: Rules
    catalog: Catalog = field(default_factory=lambda: Catalog(0, ()))
    counters: dict[CounterId, Counter] = field(default_factory=dict)
    tickets: dict[TicketId, Ticket] = field(default_factory=dict)  # the open day(s) only
    # The waiting tickets again, by service and in call order (hall.core.waiting), so a
    # call or a count looks only at the services concerned and bisects instead of scanning.
    waiting_index: WaitingIndex = field(default_factory=WaitingIndex)
    # What the open day's tickets tell the wait estimate (hall.core.flow), kept like the
    # waiting index: rebuilt from the tickets when the state is loaded from the tables.
    flow: FlowIndex = field(default_factory=FlowIndex)
    by_number: dict[tuple[date, str], TicketId] = field(default_factory=dict)
    serials: dict[tuple[date, str], int] = field(default_factory=dict)
    issued_count: dict[tuple[date, str], int] = field(default_factory=dict)
    appointments: dict[AppointmentId, Appointment] = field(default_factory=dict)
    evaluations: dict[TicketId, Evaluation] = field(default_factory=dict)
    stats: dict[ServiceCode, ServiceStats] = field(default_factory=dict)
    last_finished: dict[CounterId, TicketId] = field(default_factory=dict)
    devices: dict[str, DeviceState] = field(default_factory=dict)
    recent_calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=10))
    open_day: date | None = None
    last_closed_day: date | None = None
    day_skips: int = 0
    last_seq: int = 0
    last_ts: float = 0.0
    chain_head: str = GENESIS  # `h` of the last event (hall/core/chain.py)
    # The hall's secret for ticket ids (HMAC key; the store keeps it in its meta table):
    # an id cannot be derived from the number on the board. Replays read ids from events.
    ticket_key: bytes = b""

    # --- reading -------------------------------------------------------------------------

    def ticket_by_number(self, day: date, number: str) -> Ticket | None:
        tid = self.by_number.get((day, number.upper()))
        return self.tickets.get(tid) if tid else None

    def counter(self, counter_id: str) -> Counter | None:
        return self.counters.get(CounterId(counter_id))

    def waiting(self) -> list[Ticket]:
        return list(self.waiting_index.all.values())

    def put_ticket(self, t: Ticket) -> None:
        """Every ticket change goes through here, which keeps the waiting indexes right."""
        old = self.tickets.get(t.id)
        if old is not None:
            self._unindex(old)
        self.tickets[t.id] = t
        if t.state is TicketState.WAITING:
            self.waiting_index.add(t)
        self.flow.put(old, t, self.rules)

    def drop_ticket(self, tid: TicketId) -> Ticket:
        t = self.tickets.pop(tid)
        self._unindex(t)
        self.flow.drop(t)
        return t

    def waiting_in(self, service: str) -> dict[TicketId, Ticket]:
        q = self.waiting_index.queue(service)
        return q.tickets if q is not None else {}

    def _unindex(self, t: Ticket) -> None:
        self.waiting_index.remove(t)

    def service_stats(self, code: str) -> ServiceStats:
        st = self.stats.get(ServiceCode(code))
        if st is None:
            svc = self.catalog.get(code)
            st = ServiceStats(ewma_minutes=svc.avg_minutes if svc else 10.0)
        return st

    def day_of(self, ts: float) -> date:
        return business_day(ts, self.tz)


def new_state(hall_id: str, tz: ZoneInfo, rules: Rules) -> HallState:
    state = HallState(hall_id=hall_id, tz=tz, rules=rules)
    state.recent_calls = deque(maxlen=rules.board_recent_calls)
    return state
