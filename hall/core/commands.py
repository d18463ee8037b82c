"""Commands: what someone asks the hall to do, imperative. One command, one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hall.core.model import Priority


@dataclass(frozen=True, slots=True)
class IssueTicket:
    """Take a ticket for a service (kiosk or staff). `confirm_print`: the kiosk confirms later."""

    service: str
    priority: Priority = Priority.NORMAL
    confirm_print: bool = False
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmPrinted:
    ticket_id: str


@dataclass(frozen=True, slots=True)
class VoidTicket:
    """The ticket's print failed (or it was issued by mistake): cancel it."""

    ticket_id: str
    reason: str = "print_failed"


@dataclass(frozen=True, slots=True)
class Housekeep:
    """The hub's housekeeping between commands: void reserved tickets whose kiosk never
    confirmed the print (a finished day is closed before every command anyway)."""


@dataclass(frozen=True, slots=True)
class CheckIn:
    """Check an appointment in: by id, 6-digit code or identity hash (one of them)."""

    appointment_id: str | None = None
    code: str | None = None
    id_hash: str | None = None
    # A valid signed token for an appointment the hall has not received yet carries its terms.
    token: dict[str, Any] | None = None
    confirm_print: bool = False
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class SignIn:
    counter: str
    staff: str


@dataclass(frozen=True, slots=True)
class SignOut:
    counter: str


@dataclass(frozen=True, slots=True)
class Pause:
    counter: str


@dataclass(frozen=True, slots=True)
class Resume:
    counter: str


@dataclass(frozen=True, slots=True)
class CallNext:
    counter: str


@dataclass(frozen=True, slots=True)
class CallNumber:
    counter: str
    number: str


@dataclass(frozen=True, slots=True)
class Recall:
    counter: str


@dataclass(frozen=True, slots=True)
class Skip:
    """过号: the called citizen did not come."""

    counter: str


@dataclass(frozen=True, slots=True)
class Reinstate:
    """Put a skipped ticket back in the queue (the citizen came back)."""

    number: str
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class Start:
    counter: str


@dataclass(frozen=True, slots=True)
class Finish:
    counter: str


@dataclass(frozen=True, slots=True)
class Hold:
    """挂起: set the ticket in hand aside (the citizen fetches a document)."""

    counter: str


@dataclass(frozen=True, slots=True)
class CallBack:
    """Call a held ticket back to the counter that set it aside (the oldest, or by number)."""

    counter: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Send the ticket in hand to another service, or to one counter (exactly one of them)."""

    counter: str
    to_service: str | None = None
    to_counter: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluate:
    """A citizen's rating (1–5, None for no rating before the evaluator's timeout)."""

    counter: str
    rating: int | None
    number: str | None = None  # default: the last ticket this counter finished


@dataclass(frozen=True, slots=True)
class ApplyAppointment:
    """An appointment change from the city, applied only if its version is higher."""

    change: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApplyCatalog:
    version: int
    services: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ConfigureCounters:
    counters: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportDevice:
    """A device's fault or recovery, reported by the role that drives it."""

    device: str  # "kiosk-1/printer", "pads-1/3" …
    kind: str  # printer, pad, evaluator, scanner, audio, speech
    ok: bool
    state: str  # paper_out, cover_open, offline, ok …
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CloseDay:
    """Close the business day now (it also closes by itself when the next day begins)."""


Command = (
    IssueTicket
    | ConfirmPrinted
    | VoidTicket
    | Housekeep
    | CheckIn
    | SignIn
    | SignOut
    | Pause
    | Resume
    | CallNext
    | CallNumber
    | Recall
    | Skip
    | Reinstate
    | Start
    | Finish
    | Hold
    | CallBack
    | Transfer
    | Evaluate
    | ApplyAppointment
    | ApplyCatalog
    | ConfigureCounters
    | ReportDevice
    | CloseDay
)
