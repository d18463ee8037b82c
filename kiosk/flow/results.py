"""The outcome of a ticket or a check-in on its screen: the ticket, the failed print, or a
refusal that says why and what to do."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.flow.router import Router, Screen
from kiosk.outcomes import (
    Arrived,
    Issued,
    Outcome,
    PrinterDown,
    PrintFailed,
    Refusal,
    Unreachable,
)
from kiosk.texts import arrival_refusal_text, refusal_text, state_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    hint: str = ""


class Results:
    def __init__(self, router: Router) -> None:
        self.r = router
        self.outcome: Outcome | None = None
        self.notice: Notice | None = None
        self._watchers: list[Callable[[Outcome], None]] = []
        router.on_reset(self.clear)

    def clear(self) -> None:
        self.outcome = None
        self.notice = None

    def watch(self, cb: Callable[[Outcome], None]) -> None:
        """``cb(outcome)`` for every outcome shown (the printer watch learns from them)."""
        self._watchers.append(cb)

    def show(self, outcome: Outcome, *, checkin: bool = False, arrival: bool = False) -> None:
        """``arrival``: the outcome of a phone ticket's check-in (its own refusal words)."""
        r = self.r
        self.outcome = outcome
        for cb in list(self._watchers):
            cb(outcome)
        title = r.text("checkin_refused_title" if checkin or arrival else "refused_title")
        if isinstance(outcome, Issued):
            r.go(Screen.TICKET)
        elif isinstance(outcome, Arrived):
            r.go(Screen.ARRIVED)
        elif isinstance(outcome, PrintFailed):
            r.go(Screen.FAILED)
        elif isinstance(outcome, Refusal):
            words = arrival_refusal_text if arrival else refusal_text
            message, hint = words(outcome.code, outcome.message, outcome.hint, r.lang)
            self.refuse(title, message, hint)
        elif isinstance(outcome, PrinterDown):
            self.printer_down(outcome.state, checkin=checkin)
        elif isinstance(outcome, Unreachable):
            self.refuse(
                r.text("offline_title"), r.text("offline_arrival" if arrival else "offline_text")
            )
        else:
            log.error("unexpected outcome %r", outcome)
            self.refuse(title, r.text("ask_staff"))

    def printer_down(self, state: str, *, checkin: bool = False) -> None:
        r = self.r
        title = r.text("checkin_refused_title" if checkin else "refused_title")
        self.refuse(title, r.text("printer_down", state=state_text(state, r.lang)))

    def refuse(self, title: str, message: str, hint: str = "") -> None:
        self.notice = Notice(title, message, hint)
        self.r.go(Screen.REFUSED)
