"""Appointment check-in: the 6-digit code on the keypad, or a scanned QR code or identity card
(the number is matched by keyed hash only, never kept). A scanned QR code of a ticket taken
on a phone goes to the arrival (kiosk.flow.arrival), and so does the screen's button for
typing that ticket's number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kiosk.checkin import ArrivalRequest, CheckInRequest, Keys, Problem, classify
from kiosk.flow.arrival import Arrival
from kiosk.flow.printer import PrinterWatch
from kiosk.flow.results import Results
from kiosk.flow.router import Router, Screen
from kiosk.outcomes import Outcome
from kiosk.texts import arrival_refusal_text, refusal_text

CODE_LENGTH = 6


class CheckInPort(Protocol):
    def check_in(self, args: dict[str, Any]) -> Outcome: ...


class CheckIn:
    def __init__(
        self,
        router: Router,
        results: Results,
        printer: PrinterWatch,
        ops: CheckInPort,
        keys: Keys,
        arrival: Arrival,
    ) -> None:
        self.r = router
        self.results = results
        self.printer = printer
        self.ops = ops
        self.keys = keys
        self.arrival = arrival
        self.code = ""
        self.error = ""
        router.on_reset(self.clear)

    def clear(self) -> None:
        self.code = ""
        self.error = ""

    def open(self) -> None:
        if self.r.busy:
            return
        self.r.touch()
        self.clear()
        self.r.go(Screen.CHECKIN)

    def key(self, key: str) -> None:
        self.r.touch()
        self.error = ""
        if key in ("backspace", "delete"):
            self.code = self.code[:-1]
        elif key == "clear":
            self.code = ""
        elif key == "enter":
            self.submit()
            return
        elif key.isdigit() and len(key) == 1 and len(self.code) < CODE_LENGTH:
            self.code += key
        self.r.notify("code")

    def submit(self) -> None:
        if self.r.busy or self.r.screen is not Screen.CHECKIN:
            return
        if len(self.code) != CODE_LENGTH:
            self.error = self.r.text("code_incomplete")
            self.r.notify("code")
            return
        self._check_in(CheckInRequest("code", {"code": self.code}))

    def scanned(self, text: str) -> None:
        """A line from a scanner or ID reader (it may be an identity number: never kept)."""
        r = self.r
        if r.busy:
            return
        r.touch()
        found = classify(text, self.keys, now=r.clock())
        if isinstance(found, Problem):
            if found.key == "ticket_token":
                message, hint = arrival_refusal_text(found.code, found.message, "", r.lang)
            elif found.key == "token":
                message, hint = refusal_text(found.code, found.message, "", r.lang)
            else:
                message, hint = r.text(found.key), ""
            self.results.refuse(r.text("checkin_refused_title"), message, hint)
        elif isinstance(found, ArrivalRequest):
            self.arrival.send(found)  # nothing to print: the printer does not matter
        else:
            self._check_in(found)

    def _check_in(self, request: CheckInRequest) -> None:
        if self.printer.paused:
            self.results.printer_down(self.printer.paused, checkin=True)
            return
        args = dict(request.args)
        done: Callable[[Outcome], None] = lambda outcome: self.results.show(outcome, checkin=True)  # noqa: E731
        self.r.start("checking_in", lambda: self.ops.check_in(args), done)
