"""The data of each event type: one frozen dataclass per type (see hall/core/events.py,
which re-exports them with the log's `Event`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hall.core.model import Priority
from hall.core.wire import JsonDict, Record


@dataclass(frozen=True, slots=True)
class Payload(Record):
    """The data of one event type (subclasses); `TYPE` is its wire name."""

    TYPE: ClassVar[str] = ""

    def to_data(self) -> JsonDict:
        return self.to_dict()


# --- tickets ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketIssued(Payload):
    TYPE: ClassVar[str] = "ticket.issued"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset(
        {
            "appointment_id",
            "kiosk",
            "request_id",
            "arrive_by",
            "arrived",
            "id_hash",
            "phone_tail",
            "name_masked",
        }
    )
    ticket_id: str
    number: str
    service: str
    source: str
    waiting_ahead: int
    est_wait_min: int | None
    priority: str
    prefix: str
    serial: int
    day: str
    order_key: float
    status: str = "waiting"  # "printing" until the kiosk confirms the print
    appointment_id: str | None = None
    kiosk: str | None = None
    # a remote ticket (source "remote"): the city's request, by when its citizen must arrive
    # (RFC 3339), not yet arrived, and what identifies its citizen at arrival (no name)
    request_id: str | None = None
    arrive_by: str | None = None
    arrived: bool | None = None
    id_hash: str | None = None
    phone_tail: str | None = None
    name_masked: str | None = None  # "张*" as the city sent it (remote tickets)

    @classmethod
    def from_dict(cls, data: JsonDict) -> TicketIssued:
        return super(TicketIssued, cls).from_dict({"priority": Priority.NORMAL.value, **data})


@dataclass(frozen=True, slots=True)
class TicketPrinted(Payload):
    TYPE: ClassVar[str] = "ticket.printed"
    ticket_id: str
    number: str


@dataclass(frozen=True, slots=True)
class TicketCalled(Payload):
    TYPE: ClassVar[str] = "ticket.called"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"reason"})
    ticket_id: str
    number: str
    counter: str
    staff: str | None
    recall: bool
    service: str
    reason: str | None = None  # the rule that chose it (docs/QUEUE_RULES.md)


@dataclass(frozen=True, slots=True)
class TicketStarted(Payload):
    TYPE: ClassVar[str] = "ticket.started"
    ticket_id: str
    number: str
    counter: str
    staff: str | None


@dataclass(frozen=True, slots=True)
class TicketFinished(Payload):
    TYPE: ClassVar[str] = "ticket.finished"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"reason"})
    ticket_id: str
    number: str
    counter: str | None
    staff: str | None
    auto: bool = False
    reason: str | None = None  # next_called, day_closed (when auto)


@dataclass(frozen=True, slots=True)
class TicketSkipped(Payload):
    TYPE: ClassVar[str] = "ticket.skipped"
    ticket_id: str
    number: str
    counter: str
    staff: str | None
    calls: int


@dataclass(frozen=True, slots=True)
class TicketReinstated(Payload):
    TYPE: ClassVar[str] = "ticket.reinstated"
    ticket_id: str
    number: str
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class TicketTransferred(Payload):
    TYPE: ClassVar[str] = "ticket.transferred"
    ticket_id: str
    number: str
    counter: str
    staff: str | None
    from_service: str
    to_service: str | None
    to_counter: str | None
    order_key: float


@dataclass(frozen=True, slots=True)
class TicketHeld(Payload):
    TYPE: ClassVar[str] = "ticket.held"
    ticket_id: str
    number: str
    counter: str
    staff: str | None


@dataclass(frozen=True, slots=True)
class TicketArrived(Payload):
    """A remote ticket's citizen is in the hall: it can be called now (contract v1.1)."""

    TYPE: ClassVar[str] = "ticket.arrived"
    ticket_id: str
    number: str
    how: str  # geofence, scan, kiosk, counter


@dataclass(frozen=True, slots=True)
class TicketWatched(Payload):
    """The city follows a paper ticket's progress (its QR scanned on a phone)."""

    TYPE: ClassVar[str] = "ticket.watched"
    ticket_id: str
    number: str


@dataclass(frozen=True, slots=True)
class TicketCancelled(Payload):
    TYPE: ClassVar[str] = "ticket.cancelled"
    ticket_id: str
    number: str
    reason: str  # print_failed, print_unconfirmed, day_closed, no_show, …


# --- appointments -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentReceived(Payload):
    """An appointment as the hall holds it from now on (from the city, or from a token)."""

    TYPE: ClassVar[str] = "appointment.received"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"id_hash", "name_masked", "origin"})
    id: str
    version: int
    status: str  # booked, rescheduled, cancelled
    service: str
    date: str
    slot_start: str
    slot_end: str
    code: str = ""
    priority: str = "normal"
    id_hash: str | None = None
    name_masked: str | None = None
    origin: str | None = None  # "token": built from a signed QR token the hall had not received


@dataclass(frozen=True, slots=True)
class AppointmentCheckedIn(Payload):
    TYPE: ClassVar[str] = "appointment.checked_in"
    appointment_id: str
    ticket_id: str
    number: str
    service: str
    timing: str  # early, on_time, late


@dataclass(frozen=True, slots=True)
class AppointmentNoShow(Payload):
    TYPE: ClassVar[str] = "appointment.no_show"
    appointment_id: str
    service: str


# --- counters, staff, ratings -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvaluationSubmitted(Payload):
    TYPE: ClassVar[str] = "evaluation.submitted"
    ticket_id: str
    number: str
    counter: str
    staff: str | None
    rating: int | None  # 1–5; None: the evaluator timed out without a rating
    service: str


@dataclass(frozen=True, slots=True)
class CounterOpened(Payload):
    TYPE: ClassVar[str] = "counter.opened"
    counter: str
    staff: str | None


@dataclass(frozen=True, slots=True)
class CounterPaused(Payload):
    TYPE: ClassVar[str] = "counter.paused"
    counter: str
    staff: str | None


@dataclass(frozen=True, slots=True)
class CounterClosed(Payload):
    TYPE: ClassVar[str] = "counter.closed"
    counter: str


@dataclass(frozen=True, slots=True)
class StaffLogin(Payload):
    TYPE: ClassVar[str] = "staff.login"
    counter: str
    staff: str


@dataclass(frozen=True, slots=True)
class StaffLogout(Payload):
    TYPE: ClassVar[str] = "staff.logout"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"reason"})
    counter: str
    staff: str | None
    reason: str | None = None  # day_closed when the day's end signed staff out


# --- devices, the day, configuration ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceFault(Payload):
    TYPE: ClassVar[str] = "device.fault"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"first"})
    device: str
    kind: str
    ok: bool
    state: str
    detail: str = ""
    first: bool | None = None


@dataclass(frozen=True, slots=True)
class DeviceRecovered(Payload):
    TYPE: ClassVar[str] = "device.recovered"
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"first"})
    device: str
    kind: str
    ok: bool
    state: str
    detail: str = ""
    first: bool | None = None  # the device's first report, healthy: no recovery from anything


@dataclass(frozen=True, slots=True)
class DayClosed(Payload):
    TYPE: ClassVar[str] = "day.closed"
    day: str
    auto: bool
    issued: int
    finished: int
    skipped: int
    cancelled: int
    appointment_no_shows: int
    evaluations: int
    avg_rating: float | None
    by_service: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CatalogApplied(Payload):
    TYPE: ClassVar[str] = "catalog.applied"
    version: int
    services: list[JsonDict]


@dataclass(frozen=True, slots=True)
class CountersConfigured(Payload):
    TYPE: ClassVar[str] = "counters.configured"
    counters: list[JsonDict]


# --- the log and the clock: a technician's repairs --------------------------------------


@dataclass(frozen=True, slots=True)
class LogLost(Payload):
    """A confirmed event this database no longer has (`hall audit accept-loss`): one per
    lost seq, so the log stays gapless and its seq goes on where the hall's had reached.
    `reserved`: the ticket numbers the head file had reserved on `day`; numbering goes on
    above them, so no number is issued twice."""

    TYPE: ClassVar[str] = "log.lost"
    first: int
    last: int
    day: str
    reserved: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClockRewound(Payload):
    """The hall had been pushed into the future by a wrong clock; a technician brought it
    back (`hall clock rewind`). Stamped at `to_ts`: the one event whose time goes back.
    `serials`/`issued`: what the business day `day` already had, so numbers and quotas go
    on from there."""

    TYPE: ClassVar[str] = "clock.rewound"
    from_at: str
    to_at: str
    to_ts: float
    day: str
    serials: dict[str, int] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccessDenied(Payload):
    """A device asked for what its role does not allow (hub/authz.py): who tried what.
    `count`: refusals of the same kind since the last one recorded (the hub records at
    most one a minute per device, command and reason)."""

    TYPE: ClassVar[str] = "access.denied"
    device: str
    command: str
    reason: str
    count: int = 1


PAYLOADS: tuple[type[Payload], ...] = (
    TicketIssued,
    TicketPrinted,
    TicketCalled,
    TicketStarted,
    TicketFinished,
    TicketSkipped,
    TicketReinstated,
    TicketTransferred,
    TicketHeld,
    TicketCancelled,
    TicketArrived,
    TicketWatched,
    AppointmentReceived,
    AppointmentCheckedIn,
    AppointmentNoShow,
    EvaluationSubmitted,
    CounterOpened,
    CounterPaused,
    CounterClosed,
    StaffLogin,
    StaffLogout,
    DeviceFault,
    DeviceRecovered,
    DayClosed,
    CatalogApplied,
    CountersConfigured,
    LogLost,
    ClockRewound,
    AccessDenied,
)
BY_TYPE: dict[str, type[Payload]] = {cls.TYPE: cls for cls in PAYLOADS}
ALL_TYPES = frozenset(BY_TYPE)
