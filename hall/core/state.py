"""The hall's state, and how each event changes it (`apply`).

`apply` is the only place state changes. It is deterministic: the same events give the
same state, which is how the store's tables can be rebuilt from the event log.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hall.core import appointments as ap
from hall.core import events as ev
from hall.core.catalog import parse_catalog, parse_counter_specs
from hall.core.chain import GENESIS
from hall.core.model import (
    Appointment,
    AppointmentId,
    AppointmentStatus,
    Catalog,
    Counter,
    CounterId,
    CounterState,
    DeviceState,
    Evaluation,
    Priority,
    ServiceCode,
    ServiceStats,
    Source,
    StaffId,
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

    def drop_ticket(self, tid: TicketId) -> Ticket:
        t = self.tickets.pop(tid)
        self._unindex(t)
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


# --- applying events ------------------------------------------------------------------------


def apply(state: HallState, event: ev.Event) -> Touched:
    """Change the state by one committed event; return what it touched (kind, key)."""
    if event.seq != state.last_seq + 1:
        raise ValueError(f"event seq {event.seq} does not follow {state.last_seq}")
    state.last_seq = event.seq
    if isinstance(event.payload, ev.ClockRewound):
        state.last_ts = event.ts  # a technician brought the hall back from the future
    else:
        state.last_ts = max(state.last_ts, event.ts)
    if event.h:
        state.chain_head = event.h
    handler = _HANDLERS.get(type(event.payload))
    touched: Touched = {("meta", "")}
    if handler is not None:
        touched |= handler(state, event.payload, event.ts)
    return touched


def _set_ticket(state: HallState, t: Ticket) -> Touched:
    state.put_ticket(t)
    return {("ticket", t.id)}


def _ticket(state: HallState, ticket_id: str) -> Ticket:
    return state.tickets[TicketId(ticket_id)]


def _set_counter(state: HallState, c: Counter) -> Touched:
    state.counters[c.id] = c
    return {("counter", c.id)}


def _release_from_counter(state: HallState, t: Ticket) -> Touched:
    """The ticket leaves the counter that had it in hand or held it."""
    if t.counter is None:
        return set()
    c = state.counters.get(t.counter)
    if c is None:
        return set()
    c2 = dataclasses.replace(
        c,
        current=None if c.current == t.id else c.current,
        held=tuple(h for h in c.held if h != t.id),
    )
    return _set_counter(state, c2)


def _issued(state: HallState, d: ev.TicketIssued, ts: float) -> Touched:
    day = date.fromisoformat(d.day)
    t = Ticket(
        id=TicketId(d.ticket_id),
        number=d.number,
        prefix=d.prefix,
        serial=d.serial,
        service=ServiceCode(d.service),
        day=day,
        source=Source(d.source),
        priority=Priority(d.priority),
        state=TicketState(d.status),
        issued_seq=state.last_seq,
        issued_at=ts,
        order_key=d.order_key,
        appointment_id=AppointmentId(d.appointment_id) if d.appointment_id else None,
    )
    state.by_number[(day, t.number)] = t.id
    state.serials[(day, t.prefix)] = max(state.serials.get((day, t.prefix), 0), t.serial)
    key = (day, t.service)
    state.issued_count[key] = state.issued_count.get(key, 0) + 1
    if state.open_day is None or day > state.open_day:
        state.open_day = day
    # The serial needs no row of its own: every issued ticket keeps its row (voided ones
    # too), so the store derives the last serial per day and prefix from the tickets.
    return _set_ticket(state, t)


def _printed(state: HallState, d: ev.TicketPrinted, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    return _set_ticket(state, dataclasses.replace(t, state=TicketState.WAITING))


def _called(state: HallState, d: ev.TicketCalled, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    counter_id = CounterId(d.counter)
    touched: Touched = set()
    if t.counter is not None and t.counter != counter_id:
        touched |= _release_from_counter(state, t)
    t2 = dataclasses.replace(
        t,
        state=TicketState.CALLED,
        counter=counter_id,
        staff=StaffId(d.staff) if d.staff else None,
        calls=t.calls + 1 if d.recall else 1,
        called_at=ts,
        first_called_at=t.first_called_at if t.first_called_at is not None else ts,
        target_counter=None,
    )
    touched |= _set_ticket(state, t2)
    c = state.counters[counter_id]
    c2 = dataclasses.replace(c, current=t.id, held=tuple(h for h in c.held if h != t.id))
    touched |= _set_counter(state, c2)
    state.recent_calls.appendleft(
        {
            "number": t.number,
            "counter": counter_id,
            "counter_name": c.spec.display_name,
            "service": t.service,
            "recall": bool(d.recall),
            "seq": state.last_seq,
            "at": ts,
        }
    )
    return touched | {("board", "")}


def _started(state: HallState, d: ev.TicketStarted, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    return _set_ticket(state, dataclasses.replace(t, state=TicketState.SERVING, started_at=ts))


def _finished(state: HallState, d: ev.TicketFinished, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    touched = _release_from_counter(state, t)
    touched |= _set_ticket(
        state, dataclasses.replace(t, state=TicketState.FINISHED, finished_at=ts)
    )
    if t.counter is not None:
        state.last_finished[t.counter] = t.id
    began = t.started_at if t.started_at is not None else t.called_at
    if began is not None:
        mins = (ts - began) / 60.0
        r = state.rules
        if r.min_service_minutes <= mins <= r.max_service_minutes:
            st = state.service_stats(t.service)
            a = r.ewma_alpha
            state.stats[t.service] = ServiceStats(
                ewma_minutes=(1 - a) * st.ewma_minutes + a * mins, samples=st.samples + 1
            )
            touched.add(("stats", t.service))
    return touched


def _skipped(state: HallState, d: ev.TicketSkipped, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    touched = _release_from_counter(state, t)
    state.day_skips += 1
    return touched | _set_ticket(
        state, dataclasses.replace(t, state=TicketState.SKIPPED, counter=None)
    )


def _reinstated(state: HallState, d: ev.TicketReinstated, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    return _set_ticket(state, dataclasses.replace(t, state=TicketState.WAITING, calls=0))


def _transferred(state: HallState, d: ev.TicketTransferred, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    touched = _release_from_counter(state, t)
    t2 = dataclasses.replace(
        t,
        state=TicketState.WAITING,
        service=ServiceCode(d.to_service or t.service),
        target_counter=CounterId(d.to_counter) if d.to_counter else None,
        counter=None,
        calls=0,
        order_key=d.order_key,
        transfers=t.transfers + 1,
    )
    return touched | _set_ticket(state, t2)


def _held(state: HallState, d: ev.TicketHeld, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    assert t.counter is not None
    c = state.counters[t.counter]
    c2 = dataclasses.replace(c, current=None, held=(*c.held, t.id))
    return _set_counter(state, c2) | _set_ticket(
        state, dataclasses.replace(t, state=TicketState.HELD)
    )


def _cancelled(state: HallState, d: ev.TicketCancelled, ts: float) -> Touched:
    t = _ticket(state, d.ticket_id)
    touched = _release_from_counter(state, t)
    return touched | _set_ticket(state, dataclasses.replace(t, state=TicketState.CANCELLED))


def _appointment_received(state: HallState, d: ev.AppointmentReceived, ts: float) -> Touched:
    aid = AppointmentId(d.id)
    old = state.appointments.get(aid)
    kept = None
    if old is not None and old.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW):
        kept = old.status  # what the hall recorded stands; the city settles the rest
    state.appointments[aid] = ap.appointment(
        d, status=kept, ticket_id=old.ticket_id if old else None
    )
    return {("appointment", aid)}


def _checked_in(state: HallState, d: ev.AppointmentCheckedIn, ts: float) -> Touched:
    aid = AppointmentId(d.appointment_id)
    a = state.appointments[aid]
    state.appointments[aid] = dataclasses.replace(
        a, status=AppointmentStatus.CHECKED_IN, ticket_id=TicketId(d.ticket_id)
    )
    return {("appointment", aid)}


def _no_show(state: HallState, d: ev.AppointmentNoShow, ts: float) -> Touched:
    aid = AppointmentId(d.appointment_id)
    a = state.appointments[aid]
    state.appointments[aid] = dataclasses.replace(a, status=AppointmentStatus.NO_SHOW)
    return {("appointment", aid)}


def _evaluated(state: HallState, d: ev.EvaluationSubmitted, ts: float) -> Touched:
    tid = TicketId(d.ticket_id)
    state.evaluations[tid] = Evaluation(
        ticket_id=tid,
        number=d.number,
        counter=CounterId(d.counter),
        staff=StaffId(d.staff) if d.staff else None,
        rating=d.rating,
        at=ts,
    )
    touched: Touched = {("evaluation", tid)}
    t = state.tickets.get(tid)
    if t is not None:
        touched |= _set_ticket(state, dataclasses.replace(t, rated=True))
    return touched


def _login(state: HallState, d: ev.StaffLogin, ts: float) -> Touched:
    c = state.counters[CounterId(d.counter)]
    day = state.day_of(ts)
    if state.open_day is None or day > state.open_day:
        state.open_day = day
    return _set_counter(state, dataclasses.replace(c, staff=StaffId(d.staff)))


def _logout(state: HallState, d: ev.StaffLogout, ts: float) -> Touched:
    c = state.counters[CounterId(d.counter)]
    return _set_counter(state, dataclasses.replace(c, staff=None))


def _counter_state(state: HallState, counter: str, new: CounterState) -> Touched:
    c = state.counters[CounterId(counter)]
    return _set_counter(state, dataclasses.replace(c, state=new)) | {("board", "")}


def _opened(state: HallState, d: ev.CounterOpened, ts: float) -> Touched:
    return _counter_state(state, d.counter, CounterState.OPEN)


def _paused(state: HallState, d: ev.CounterPaused, ts: float) -> Touched:
    return _counter_state(state, d.counter, CounterState.PAUSED)


def _closed(state: HallState, d: ev.CounterClosed, ts: float) -> Touched:
    return _counter_state(state, d.counter, CounterState.CLOSED)


def _device(state: HallState, d: ev.DeviceFault | ev.DeviceRecovered, ts: float) -> Touched:
    state.devices[d.device] = DeviceState(d.device, d.kind, d.ok, d.state, d.detail, ts)
    return {("device", d.device)}


def _day_closed(state: HallState, d: ev.DayClosed, ts: float) -> Touched:
    day = date.fromisoformat(d.day)
    state.last_closed_day = max(day, state.last_closed_day) if state.last_closed_day else day
    if state.open_day is not None and state.open_day <= day:
        state.open_day = None
    # Closed days leave memory; their rows stay in the tables.
    for tid in [tid for tid, t in state.tickets.items() if t.day <= day]:
        t = state.drop_ticket(tid)
        state.by_number.pop((t.day, t.number), None)
        state.evaluations.pop(tid, None)
    for key in [k for k in state.serials if k[0] <= day]:
        del state.serials[key]
    for key2 in [k for k in state.issued_count if k[0] <= day]:
        del state.issued_count[key2]
    for aid in [aid for aid, a in state.appointments.items() if a.day <= day]:
        del state.appointments[aid]
    state.last_finished.clear()
    state.day_skips = 0
    state.recent_calls.clear()
    return {("board", "")}


def _catalog(state: HallState, d: ev.CatalogApplied, ts: float) -> Touched:
    state.catalog = parse_catalog({"version": d.version, "services": d.services})
    return {("catalog", "")}


def _counters(state: HallState, d: ev.CountersConfigured, ts: float) -> Touched:
    specs = parse_counter_specs(d.counters)
    touched: Touched = set()
    new: dict[CounterId, Counter] = {}
    for spec in specs:
        old = state.counters.get(spec.id)
        new[spec.id] = dataclasses.replace(old, spec=spec) if old else Counter(spec=spec)
        touched.add(("counter", spec.id))
    for cid in state.counters:
        if cid not in new:
            touched.add(("counter", cid))
    state.counters = new
    return touched | {("board", "")}


def _log_lost(state: HallState, d: ev.LogLost, ts: float) -> Touched:
    day = date.fromisoformat(d.day)
    for prefix, serial in d.reserved.items():
        state.serials[(day, prefix)] = max(state.serials.get((day, prefix), 0), serial)
    return {("serial", f"{d.day}/{prefix}") for prefix in d.reserved}


def _clock_rewound(state: HallState, d: ev.ClockRewound, ts: float) -> Touched:
    day = date.fromisoformat(d.day)
    state.open_day = None
    state.last_closed_day = day - timedelta(days=1)  # the day of the right time opens again
    for prefix, serial in d.serials.items():
        state.serials[(day, prefix)] = max(state.serials.get((day, prefix), 0), serial)
    for service, n in d.issued.items():
        key = (day, ServiceCode(service))
        state.issued_count[key] = max(state.issued_count.get(key, 0), n)
    return {("board", "")} | {("serial", f"{d.day}/{prefix}") for prefix in d.serials}


Handler = Callable[[HallState, Any, float], Touched]
_HANDLERS: dict[type[ev.Payload], Handler] = {
    ev.TicketIssued: _issued,
    ev.TicketPrinted: _printed,
    ev.TicketCalled: _called,
    ev.TicketStarted: _started,
    ev.TicketFinished: _finished,
    ev.TicketSkipped: _skipped,
    ev.TicketReinstated: _reinstated,
    ev.TicketTransferred: _transferred,
    ev.TicketHeld: _held,
    ev.TicketCancelled: _cancelled,
    ev.AppointmentReceived: _appointment_received,
    ev.AppointmentCheckedIn: _checked_in,
    ev.AppointmentNoShow: _no_show,
    ev.EvaluationSubmitted: _evaluated,
    ev.StaffLogin: _login,
    ev.StaffLogout: _logout,
    ev.CounterOpened: _opened,
    ev.CounterPaused: _paused,
    ev.CounterClosed: _closed,
    ev.DeviceFault: _device,
    ev.DeviceRecovered: _device,
    ev.DayClosed: _day_closed,
    ev.CatalogApplied: _catalog,
    ev.CountersConfigured: _counters,
    ev.LogLost: _log_lost,
    ev.ClockRewound: _clock_rewound,
}
