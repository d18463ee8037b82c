"""What an issue or a check-in came to, as the screens show it: pure values, no personal data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketInfo:
    """What the screen shows of an issued ticket (no personal data)."""

    ticket_id: str
    number: str
    service: str
    service_name: str
    waiting_ahead: int
    est_wait_min: int | None
    priority: str
    issued_at: float
    qr_url: str  # "" when the hall has no ticket status page
    timing: str | None = None  # check-in: early, on_time, late
    slot: str | None = None  # check-in: "09:00-09:30"


@dataclass(frozen=True)
class Issued:
    ticket: TicketInfo


@dataclass(frozen=True)
class PrintFailed:
    ticket: TicketInfo
    reason: str  # drivers.printer.FailureReason value
    voided: bool  # False: kept for a reprint


@dataclass(frozen=True)
class Arrived:
    """A remote ticket's citizen is checked in (``mark_arrived``): now it can be called.

    ``already``: it had arrived before (a second scan). The place in line comes from the
    hub's reply when it carries one (``waiting_ahead``, ``est_wait_min``); without it the
    screen says what the board says of the ticket's service."""

    ticket_id: str
    number: str
    already: bool = False
    service: str | None = None
    waiting_ahead: int | None = None
    est_wait_min: int | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Unreachable:
    """The hub did not answer. Nothing was issued to the citizen."""


@dataclass(frozen=True)
class PrinterDown:
    state: str  # drivers.printer.PrinterState value


Outcome = Issued | PrintFailed | Arrived | Refusal | Unreachable | PrinterDown


@dataclass(frozen=True)
class Void:
    """A number voided because its ticket did not print whole (for the technician screen;
    the hub has it as ``ticket.cancelled``, and the printer's fault report names it)."""

    number: str
    reason: str
    at: float
