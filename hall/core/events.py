"""Events: what happened, past tense. The event log is the hall's truth.

One frozen dataclass per event type, named in the past tense, with its wire type in `TYPE`.
`to_data()` gives the event's `data` object exactly as the log stores it and the city
receives it (contracts/city-cloud.md); `payload_from(type, data)` reads it back. Event types
the city reads are named in the contract; the hall adds its own (`ticket.printed`,
`catalog.applied` …), which the city stores as they are. Event data carries everything
`apply` needs, so the tables are a pure function of the log; no event holds a name,
identity number or phone (appointments keep the masked name and the keyed hash only).

Fields listed in a class's `OPTIONAL` are left out of the data when they are None (older
logs lack them); every other field is always written, None included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hall.core.payloads import (
    ALL_TYPES,
    BY_TYPE,
    PAYLOADS,
    AccessDenied,
    AppointmentCheckedIn,
    AppointmentNoShow,
    AppointmentReceived,
    CatalogApplied,
    ClockRewound,
    CounterClosed,
    CounterOpened,
    CounterPaused,
    CountersConfigured,
    DayClosed,
    DeviceFault,
    DeviceRecovered,
    EvaluationSubmitted,
    LogLost,
    Payload,
    StaffLogin,
    StaffLogout,
    TicketArrived,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketHeld,
    TicketIssued,
    TicketPrinted,
    TicketReinstated,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
    TicketWatched,
)
from hall.core.wire import JsonDict

# The wire names, for readers that filter by type.
TICKET_ISSUED = TicketIssued.TYPE
TICKET_PRINTED = TicketPrinted.TYPE
TICKET_CALLED = TicketCalled.TYPE
TICKET_STARTED = TicketStarted.TYPE
TICKET_FINISHED = TicketFinished.TYPE
TICKET_SKIPPED = TicketSkipped.TYPE
TICKET_REINSTATED = TicketReinstated.TYPE
TICKET_TRANSFERRED = TicketTransferred.TYPE
TICKET_HELD = TicketHeld.TYPE
TICKET_CANCELLED = TicketCancelled.TYPE
TICKET_ARRIVED = TicketArrived.TYPE
TICKET_WATCHED = TicketWatched.TYPE
APPOINTMENT_RECEIVED = AppointmentReceived.TYPE
APPOINTMENT_CHECKED_IN = AppointmentCheckedIn.TYPE
APPOINTMENT_NO_SHOW = AppointmentNoShow.TYPE
EVALUATION_SUBMITTED = EvaluationSubmitted.TYPE
COUNTER_OPENED = CounterOpened.TYPE
COUNTER_PAUSED = CounterPaused.TYPE
COUNTER_CLOSED = CounterClosed.TYPE
STAFF_LOGIN = StaffLogin.TYPE
STAFF_LOGOUT = StaffLogout.TYPE
DEVICE_FAULT = DeviceFault.TYPE
DEVICE_RECOVERED = DeviceRecovered.TYPE
DAY_CLOSED = DayClosed.TYPE
CATALOG_APPLIED = CatalogApplied.TYPE
COUNTERS_CONFIGURED = CountersConfigured.TYPE


class UnknownEvent(ValueError):
    """An event type this software does not know (a newer hall's log?)."""


def payload_from(type_: str, data: JsonDict) -> Payload:
    """The typed payload of a stored or received event; ValueError when malformed."""
    cls = BY_TYPE.get(type_)
    if cls is None:
        raise UnknownEvent(f"unknown event type {type_!r}")
    return cls.from_dict(data)


@dataclass(frozen=True, slots=True)
class Event:
    """A committed event, as in the contract: gapless seq, unique id, RFC 3339 time."""

    seq: int
    id: str
    at: str  # RFC 3339 with the hall's offset, as recorded
    ts: float  # hall time in epoch seconds (never goes backwards; see timekeeping)
    payload: Payload
    h: str = ""  # the hash chain (hall/core/chain.py); "" only in logs older than the chain
    data: JsonDict = field(default_factory=dict)  # the payload's data, as written (`make`)
    # the data's canonical JSON when the engine made the event (hall/core/chain.py), "" else
    text: str = field(default="", compare=False, repr=False)

    @classmethod
    def make(cls, seq: int, id: str, at: str, ts: float, payload: Payload, h: str = "") -> Event:
        """An event with its data written out once (the log, the chain and sync read it)."""
        return cls(seq, id, at, ts, payload, h, payload.to_data())

    @property
    def type(self) -> str:
        return self.payload.TYPE

    def body(self) -> JsonDict:
        """The event as the contract writes it, without `h` (what `h` is computed over)."""
        return {"seq": self.seq, "id": self.id, "type": self.type, "at": self.at, "data": self.data}

    def to_wire(self) -> JsonDict:
        out = self.body()
        if self.h:
            out["h"] = self.h
        return out


__all__ = [
    "ALL_TYPES",
    "APPOINTMENT_CHECKED_IN",
    "APPOINTMENT_NO_SHOW",
    "APPOINTMENT_RECEIVED",
    "BY_TYPE",
    "CATALOG_APPLIED",
    "COUNTERS_CONFIGURED",
    "COUNTER_CLOSED",
    "COUNTER_OPENED",
    "COUNTER_PAUSED",
    "DAY_CLOSED",
    "DEVICE_FAULT",
    "DEVICE_RECOVERED",
    "EVALUATION_SUBMITTED",
    "PAYLOADS",
    "STAFF_LOGIN",
    "STAFF_LOGOUT",
    "TICKET_ARRIVED",
    "TICKET_CALLED",
    "TICKET_CANCELLED",
    "TICKET_FINISHED",
    "TICKET_HELD",
    "TICKET_ISSUED",
    "TICKET_PRINTED",
    "TICKET_REINSTATED",
    "TICKET_SKIPPED",
    "TICKET_STARTED",
    "TICKET_TRANSFERRED",
    "TICKET_WATCHED",
    "AccessDenied",
    "AppointmentCheckedIn",
    "AppointmentNoShow",
    "AppointmentReceived",
    "CatalogApplied",
    "ClockRewound",
    "CounterClosed",
    "CounterOpened",
    "CounterPaused",
    "CountersConfigured",
    "DayClosed",
    "DeviceFault",
    "DeviceRecovered",
    "EvaluationSubmitted",
    "Event",
    "LogLost",
    "Payload",
    "StaffLogin",
    "StaffLogout",
    "TicketArrived",
    "TicketCalled",
    "TicketCancelled",
    "TicketFinished",
    "TicketHeld",
    "TicketIssued",
    "TicketPrinted",
    "TicketReinstated",
    "TicketSkipped",
    "TicketStarted",
    "TicketTransferred",
    "TicketWatched",
    "UnknownEvent",
    "payload_from",
]
