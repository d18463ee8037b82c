"""What the person who asked is told: one result record per kind of command.

`decide` returns one of these with its events; the store keeps its `to_dict()` with the
idempotency key, the hub sends that as the reply's `result`, and `HallClient` reads it back
with `from_dict()` (hall/hubapi/replies.py says which command gives which record). The
JSON Schemas of the replies (`<command>_result` in hall/hubapi/schema/hall-bus.schema.json)
are checked against these classes by tests/hub/test_contract_types.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from hall.core.wire import Record


@dataclass(frozen=True, slots=True)
class Result(Record):
    """The base of every command's result."""


@dataclass(frozen=True, slots=True)
class Nothing(Result):
    """A command that says nothing back (the refused ones never get this far)."""


@dataclass(frozen=True, slots=True)
class TicketResult(Result):
    """A ticket taken (`issue`) or an appointment checked in (`check_in`, with its slot)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset(
        {"appointment_id", "timing", "slot_start", "slot_end", "name_masked"}
    )
    ticket_id: str
    number: str
    service: str
    service_name: str
    waiting_ahead: int
    est_wait_min: int | None
    priority: str
    source: str
    day: str
    issued_at: float
    status: str  # "printing" until the kiosk confirms the print, else "waiting"
    appointment_id: str | None = None
    timing: str | None = None  # early, on_time, late
    slot_start: str | None = None
    slot_end: str | None = None
    name_masked: str | None = None


@dataclass(frozen=True, slots=True)
class TicketStateResult(Result):
    """`confirm_printed`, `void`: the ticket's state afterwards."""

    ticket_id: str
    number: str
    state: str


@dataclass(frozen=True, slots=True)
class TicketRef(Result):
    """`skip`, `reinstate`, `start`, `finish`, `hold`: which ticket it was."""

    number: str
    ticket_id: str


@dataclass(frozen=True, slots=True)
class ExpiredResult(Result):
    """Housekeeping: the numbers of tickets voided because their print was never confirmed."""

    voided: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SignInResult(Result):
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"already"})
    counter: str
    staff: str
    already: bool | None = None  # True: this staff number was already signed in here


@dataclass(frozen=True, slots=True)
class CounterResult(Result):
    """`sign_out`, `pause`, `resume`: the counter and, for the last two, its state."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"state"})
    counter: str
    state: str | None = None


@dataclass(frozen=True, slots=True)
class CallResult(Result):
    """A ticket called to a counter (`call_next`, `call_number`, `recall`, `call_back`)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"reason", "waiting"})
    ticket_id: str
    number: str
    service: str
    counter: str
    counter_name: str
    recall: bool
    calls: int
    reason: dict[str, Any] | None = None  # {rule, why (Chinese, for staff), alternatives}
    waiting: int | None = None  # tickets still waiting for this counter


@dataclass(frozen=True, slots=True)
class TransferResult(Result):
    number: str
    ticket_id: str
    to_service: str | None
    to_counter: str | None


@dataclass(frozen=True, slots=True)
class EvaluationResult(Result):
    number: str
    ticket_id: str
    rating: int | None


@dataclass(frozen=True, slots=True)
class AppointmentResult(Result):
    """`apply_appointment`: applied, or why not (an older version, a closed day)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"version", "held_version", "reason"})
    applied: bool
    id: str
    version: int | None = None
    held_version: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogResult(Result):
    applied: bool
    version: int


@dataclass(frozen=True, slots=True)
class CountersResult(Result):
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"counters"})
    applied: bool
    counters: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceResult(Result):
    device: str
    changed: bool


@dataclass(frozen=True, slots=True)
class DayResult(Result):
    day: str
    issued: int
    finished: int


@dataclass(frozen=True, slots=True)
class LossResult(Result):
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class RewindResult(Result):
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"closed_day"})
    from_at: str
    to_at: str
    day: str
    closed_day: str | None = None  # the future day that was open, closed first


@dataclass(frozen=True, slots=True)
class RemoteResult(Result):
    """`issue_remote`: the ticket a phone took (the contract's ok `ticket-result`)."""

    ticket_id: str
    number: str
    service: str
    waiting_ahead: int
    est_wait_min: int | None
    arrive_by: str  # RFC 3339


@dataclass(frozen=True, slots=True)
class ArrivedResult(Result):
    """`mark_arrived`: the ticket, and its place now (the kiosk tells the citizen)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"already"})
    ticket_id: str
    number: str
    service: str
    waiting_ahead: int
    est_wait_min: int | None
    already: bool | None = None  # True: it had arrived before


@dataclass(frozen=True, slots=True)
class WatchResult(Result):
    ticket_id: str
    number: str
    status: str
