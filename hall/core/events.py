"""Events: what happened, past tense. The event log is the hall's truth.

Event types the city reads are named in contracts/city-cloud.md; the hall adds its own
(`ticket.printed`, `catalog.applied` …) which the city stores as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TICKET_ISSUED = "ticket.issued"
TICKET_PRINTED = "ticket.printed"
TICKET_CALLED = "ticket.called"
TICKET_STARTED = "ticket.started"
TICKET_FINISHED = "ticket.finished"
TICKET_SKIPPED = "ticket.skipped"
TICKET_REINSTATED = "ticket.reinstated"
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_HELD = "ticket.held"
TICKET_CANCELLED = "ticket.cancelled"
APPOINTMENT_RECEIVED = "appointment.received"
APPOINTMENT_CHECKED_IN = "appointment.checked_in"
APPOINTMENT_NO_SHOW = "appointment.no_show"
EVALUATION_SUBMITTED = "evaluation.submitted"
COUNTER_OPENED = "counter.opened"
COUNTER_PAUSED = "counter.paused"
COUNTER_CLOSED = "counter.closed"
STAFF_LOGIN = "staff.login"
STAFF_LOGOUT = "staff.logout"
DEVICE_FAULT = "device.fault"
DEVICE_RECOVERED = "device.recovered"
DAY_CLOSED = "day.closed"
CATALOG_APPLIED = "catalog.applied"
COUNTERS_CONFIGURED = "counters.configured"

ALL_TYPES = frozenset(
    v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str) and "." in v
)


@dataclass(frozen=True, slots=True)
class Draft:
    """An event the rules decided on, before the store gives it a seq, an id and a time."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """A committed event, as in the contract: gapless seq, unique id, RFC 3339 time."""

    seq: int
    id: str
    type: str
    at: str  # RFC 3339 with the hall's offset, as recorded
    ts: float  # hall time in epoch seconds (never goes backwards; see timekeeping)
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {"seq": self.seq, "id": self.id, "type": self.type, "at": self.at, "data": self.data}
