"""Commands: what someone asks the hall to do, imperative. One command, one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from hall.core import results as rs
from hall.core.model import Priority

R = TypeVar("R", bound=rs.Result, covariant=True)


class Cmd(Generic[R]):
    """A command whose result is an `R` (hall/core/results.py): `HallClient.run(cmd)` is
    typed by it. `RESULT` is the same class, for reading a reply back."""

    __slots__ = ()
    RESULT: ClassVar[type[rs.Result]]


@dataclass(frozen=True, slots=True)
class IssueTicket(Cmd[rs.TicketResult]):
    """Take a ticket for a service (kiosk or staff). `confirm_print`: the kiosk confirms later."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketResult

    service: str
    priority: Priority = Priority.NORMAL
    confirm_print: bool = False
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmPrinted(Cmd[rs.TicketStateResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.TicketStateResult
    ticket_id: str


@dataclass(frozen=True, slots=True)
class VoidTicket(Cmd[rs.TicketStateResult]):
    """The ticket's print failed (or it was issued by mistake): cancel it."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketStateResult

    ticket_id: str
    reason: str = "print_failed"


@dataclass(frozen=True, slots=True)
class Housekeep(Cmd[rs.ExpiredResult]):
    """The hub's housekeeping between commands: void reserved tickets whose kiosk never
    confirmed the print (a finished day is closed before every command anyway)."""

    RESULT: ClassVar[type[rs.Result]] = rs.ExpiredResult


@dataclass(frozen=True, slots=True)
class CheckIn(Cmd[rs.TicketResult]):
    """Check an appointment in: by id, 6-digit code or identity hash (one of them)."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketResult

    appointment_id: str | None = None
    code: str | None = None
    id_hash: str | None = None
    # A valid signed token for an appointment the hall has not received yet carries its terms.
    token: dict[str, Any] | None = None
    confirm_print: bool = False
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class SignIn(Cmd[rs.SignInResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.SignInResult
    counter: str
    staff: str


@dataclass(frozen=True, slots=True)
class SignOut(Cmd[rs.CounterResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CounterResult
    counter: str


@dataclass(frozen=True, slots=True)
class Pause(Cmd[rs.CounterResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CounterResult
    counter: str


@dataclass(frozen=True, slots=True)
class Resume(Cmd[rs.CounterResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CounterResult
    counter: str


@dataclass(frozen=True, slots=True)
class CallNext(Cmd[rs.CallResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CallResult
    counter: str


@dataclass(frozen=True, slots=True)
class CallNumber(Cmd[rs.CallResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CallResult
    counter: str
    number: str


@dataclass(frozen=True, slots=True)
class Recall(Cmd[rs.CallResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CallResult
    counter: str


@dataclass(frozen=True, slots=True)
class Skip(Cmd[rs.TicketRef]):
    """过号: the called citizen did not come."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketRef

    counter: str


@dataclass(frozen=True, slots=True)
class Reinstate(Cmd[rs.TicketRef]):
    """Put a skipped ticket back in the queue (the citizen came back)."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketRef

    number: str
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class Start(Cmd[rs.TicketRef]):
    RESULT: ClassVar[type[rs.Result]] = rs.TicketRef
    counter: str


@dataclass(frozen=True, slots=True)
class Finish(Cmd[rs.TicketRef]):
    RESULT: ClassVar[type[rs.Result]] = rs.TicketRef
    counter: str


@dataclass(frozen=True, slots=True)
class Hold(Cmd[rs.TicketRef]):
    """挂起: set the ticket in hand aside (the citizen fetches a document)."""

    RESULT: ClassVar[type[rs.Result]] = rs.TicketRef

    counter: str


@dataclass(frozen=True, slots=True)
class CallBack(Cmd[rs.CallResult]):
    """Call a held ticket back to the counter that set it aside (the oldest, or by number)."""

    RESULT: ClassVar[type[rs.Result]] = rs.CallResult

    counter: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer(Cmd[rs.TransferResult]):
    """Send the ticket in hand to another service, or to one counter (exactly one of them)."""

    RESULT: ClassVar[type[rs.Result]] = rs.TransferResult

    counter: str
    to_service: str | None = None
    to_counter: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluate(Cmd[rs.EvaluationResult]):
    """A citizen's rating (1–5, None for no rating before the evaluator's timeout)."""

    RESULT: ClassVar[type[rs.Result]] = rs.EvaluationResult

    counter: str
    rating: int | None
    number: str | None = None  # default: the last ticket this counter finished


@dataclass(frozen=True, slots=True)
class ApplyAppointment(Cmd[rs.AppointmentResult]):
    """An appointment change from the city, applied only if its version is higher."""

    RESULT: ClassVar[type[rs.Result]] = rs.AppointmentResult

    change: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApplyCatalog(Cmd[rs.CatalogResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CatalogResult
    version: int
    services: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ConfigureCounters(Cmd[rs.CountersResult]):
    RESULT: ClassVar[type[rs.Result]] = rs.CountersResult
    counters: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportDevice(Cmd[rs.DeviceResult]):
    """A device's fault or recovery, reported by the role that drives it."""

    RESULT: ClassVar[type[rs.Result]] = rs.DeviceResult

    device: str  # "kiosk-1/printer", "pads-1/3" …
    kind: str  # printer, pad, evaluator, scanner, audio, speech
    ok: bool
    state: str  # paper_out, cover_open, offline, ok …
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CloseDay(Cmd[rs.DayResult]):
    """Close the business day now (it also closes by itself when the next day begins)."""

    RESULT: ClassVar[type[rs.Result]] = rs.DayResult


@dataclass(frozen=True, slots=True)
class IssueRemote(Cmd[rs.RemoteResult]):
    """A citizen takes a number from a phone (the city's `ticket-request`). `expires`: hall
    time after which the citizen has given up (a request that waited out an outage)."""

    RESULT: ClassVar[type[rs.Result]] = rs.RemoteResult

    request_id: str
    service: str
    priority: Priority = Priority.NORMAL
    id_hash: str | None = None
    phone_tail: str | None = None
    name_masked: str | None = None  # "张*" as the city sends it, for halls that show it
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class MarkArrived(Cmd[rs.ArrivedResult]):
    """A remote ticket's citizen is here: by the city's geofence, a scan of the ticket's QR at
    a kiosk (`ticket_id` from the verified token), the number and the phone's last four
    digits typed at a kiosk, or staff at the counter."""

    RESULT: ClassVar[type[rs.Result]] = rs.ArrivedResult

    how: str
    ticket_id: str | None = None
    number: str | None = None
    phone_tail: str | None = None


@dataclass(frozen=True, slots=True)
class Watch(Cmd[rs.WatchResult]):
    """The city follows a ticket (a paper ticket's QR scanned on a phone)."""

    RESULT: ClassVar[type[rs.Result]] = rs.WatchResult

    ticket_id: str


@dataclass(frozen=True, slots=True)
class AcceptLoss(Cmd[rs.LossResult]):
    """Go on with a database that lost confirmed events (`hall audit accept-loss`): the log
    continues after `through_seq`, numbering above `reserved` on `day` (the head file's)."""

    RESULT: ClassVar[type[rs.Result]] = rs.LossResult

    through_seq: int
    day: str
    reserved: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RewindClock(Cmd[rs.RewindResult]):
    """Bring a hall that a wrong clock pushed into the future back to `to_ts` (the
    technician's `hall clock rewind`, the hub stopped): the future day is closed first.
    `serials`/`issued` per prefix/service: what the day of `to_ts` already had."""

    RESULT: ClassVar[type[rs.Result]] = rs.RewindResult

    to_ts: float
    serials: dict[str, int] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordDenial(Cmd[rs.Nothing]):
    """The hub records a refused request (hub/authz.py): who tried what, never personal data."""

    RESULT: ClassVar[type[rs.Result]] = rs.Nothing

    device: str
    command: str
    reason: str
    count: int = 1


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
    | IssueRemote
    | MarkArrived
    | Watch
    | AcceptLoss
    | RewindClock
    | RecordDenial
)
