"""The knobs of the queue rules, as the core receives them (typed, already validated)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AfterMax(enum.StrEnum):
    """What happens when a prefix's numbers pass the configured width (A999 with width 3)."""

    WIDEN = "widen"  # A1000, A1001 …: never a repeated number, printed one digit wider
    REFUSE = "refuse"  # the prefix is full for the day: issuing is refused (code numbers_exhausted)


class TransferPosition(enum.StrEnum):
    KEEP = "keep"  # a transferred ticket keeps its original arrival time in the new queue
    FRONT = "front"  # it goes to the front of the new queue


class PrintFailure(enum.StrEnum):
    VOID = "void"  # a ticket whose print failed is cancelled
    REPRINT = "reprint"  # it stays reserved for a reprint until it expires


@dataclass(frozen=True, slots=True)
class Rules:
    number_width: int = 3
    after_max: AfterMax = AfterMax.WIDEN
    # 绿色通道 and ageing: a priority ticket is ordered as if it had arrived this many
    # minutes earlier, so a normal ticket that has waited longer than that goes first.
    priority_credit_minutes: float = 30.0
    # Appointment tickets are ordered as if they had arrived this long before their window.
    appointment_credit_minutes: float = 60.0
    # The window: from N minutes before the slot start to M minutes after it.
    appointment_before_minutes: int = 15
    appointment_after_minutes: int = 15
    # Check-in opens this long before the slot start (earlier arrivals are told to come back).
    checkin_open_minutes: int = 120
    # A counter's 2nd, 3rd … service is ordered as if its tickets arrived this much later.
    preference_step_minutes: float = 10.0
    max_recalls: int = 3
    # A second CALL NEXT this soon after a call at the same counter is a double press: it is
    # refused (just_called) instead of finishing the citizen who was just called. The
    # config's default is 2 s ([queue] double_press_seconds); 0 here, the bare rules, is off.
    double_press_seconds: float = 0.0
    skip_after_calls: int = 2
    transfer_position: TransferPosition = TransferPosition.KEEP
    # A reserved ticket (printing) not confirmed by its kiosk within this time is voided.
    print_confirm_seconds: int = 60
    print_failure: PrintFailure = PrintFailure.VOID
    # EWMA weight of the newest observed service time.
    ewma_alpha: float = 0.2
    # Service times outside this range are not learned from (a forgotten FINISH key).
    min_service_minutes: float = 0.5
    max_service_minutes: float = 120.0
    # Recent calls kept for the hall board.
    board_recent_calls: int = 10
    # 云叫号: a remote ticket not arrived this long after its issue is a no-show; at most this
    # many remote tickets wait per service; the city is told "approaching" (即将到号) once a
    # tracked ticket has at most `reminder_ahead` ahead or `reminder_minutes` to wait.
    remote_arrive_minutes: int = 60
    remote_limit_per_service: int = 30
    reminder_ahead: int = 3
    reminder_minutes: int = 10
    # A remote ticket ahead whose citizen has not arrived counts as this share of a place in
    # the wait estimate: most such citizens are not there at their turn and are passed over.
    remote_ahead_weight: float = 0.3
