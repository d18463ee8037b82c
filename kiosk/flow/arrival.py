"""A ticket taken on a phone (云叫号), checked in at the kiosk: its QR code scanned (on any
citizen screen: ``CheckIn.scanned`` hands it here), or its number and the phone's last four
digits typed on the arrival screen.

Typing is two fields, one after the other: the number (a letter key of the hall's prefixes,
then digits) and the phone's last four digits. The primary key says 下一步 on the number and
确认签到 on the tail; tapping a field goes back to it. Nothing is printed: the ticket is on the
phone, so arrival works while the printer is down. The hub calls the ticket only once its
citizen has arrived, and answers a second arrival with ``already``.
"""

from __future__ import annotations

from string import ascii_uppercase
from typing import Any, Literal, Protocol

from kiosk.checkin import TAIL_LENGTH, ArrivalRequest, Problem, typed_arrival
from kiosk.flow.hall import HallState
from kiosk.flow.results import Results
from kiosk.flow.router import Router, Screen
from kiosk.outcomes import Outcome, Refusal

DIGITS_MAX = 6  # the hub's ticket numbers: a letter and at most six digits
RETRY_CODES = frozenset({"not_yours"})  # a typing mistake: 重新输入 keeps what was typed
Field = Literal["number", "tail"]


class ArrivalPort(Protocol):
    def mark_arrived(self, args: dict[str, Any]) -> Outcome: ...


class Arrival:
    def __init__(self, router: Router, hall: HallState, results: Results, ops: ArrivalPort) -> None:
        self.r = router
        self.hall = hall
        self.results = results
        self.ops = ops
        self.letter = ""
        self.digits = ""
        self.tail = ""  # the phone's last four digits: never logged, gone with the citizen
        self.field: Field = "number"
        self.error = ""
        self.typed = False  # the last arrival sent was typed here (not scanned)
        router.on_reset(self.clear)

    def clear(self) -> None:
        self.letter = self.digits = self.tail = self.error = ""
        self.field = "number"
        self.typed = False

    def open(self) -> None:
        if self.r.busy:
            return
        self.r.touch()
        self.clear()
        self.r.go(Screen.ARRIVAL)

    def letters(self) -> list[str]:
        """The letters this hall's numbers start with (the catalog's prefixes); every
        letter while the catalog is not known."""
        found = sorted({e.service.prefix for e in self.hall.entries if e.service.prefix})
        return found or list(ascii_uppercase)

    # --- typing ----------------------------------------------------------------------------

    def focus(self, field: Field) -> None:
        self.r.touch()
        self.field = field
        self.error = ""
        self.r.notify("arrival")

    def key(self, key: str) -> None:
        """A key of the screen's keyboard or of a hardware keypad."""
        self.r.touch()
        self.error = ""
        if key == "enter":
            self.submit()
            return
        if key in ("backspace", "delete"):
            self._delete()
        elif key == "clear":
            self._clear_field()
        elif len(key) == 1 and key.isascii() and key.isalpha():
            self.letter = key.upper()
            self.field = "number"
        elif len(key) == 1 and key.isdigit():
            self._digit(key)
        self.r.notify("arrival")

    def _digit(self, digit: str) -> None:
        if self.field == "number":
            if len(self.digits) < DIGITS_MAX:
                self.digits += digit
        elif len(self.tail) < TAIL_LENGTH:
            self.tail += digit

    def _delete(self) -> None:
        if self.field == "tail":
            if self.tail:
                self.tail = self.tail[:-1]
            else:
                self.field = "number"
        elif self.digits:
            self.digits = self.digits[:-1]
        else:
            self.letter = ""

    def _clear_field(self) -> None:
        if self.field == "tail":
            self.tail = ""
        else:
            self.letter = self.digits = ""

    def number_shown(self) -> str:
        """The number as typed, with a place for the letter and for the usual digits."""
        width = self.r.opt.number_width
        return (self.letter or "_") + self.digits + "_" * max(0, width - len(self.digits))

    def tail_shown(self) -> str:
        return self.tail + "_" * (TAIL_LENGTH - len(self.tail))

    # --- sending ---------------------------------------------------------------------------

    def submit(self) -> None:
        """下一步 on the number, 确认签到 on the tail."""
        r = self.r
        if r.busy or r.screen is not Screen.ARRIVAL:
            return
        if not (self.letter and self.digits):
            self._problem("arrival_number_incomplete", "number")
            return
        if self.field == "number":
            self.field = "tail"
            r.notify("arrival")
            return
        found = typed_arrival(self.letter + self.digits, self.tail, r.opt.number_width)
        if isinstance(found, Problem):
            self._problem(found.key, "number" if "number" in found.key else "tail")
            return
        self.send(found)

    def _problem(self, key: str, field: Field) -> None:
        self.error = self.r.text(key)
        self.field = field
        self.r.notify("arrival")

    def can_retry(self, outcome: object) -> bool:
        """A typed number and tail that do not match: the citizen may correct them."""
        return self.typed and isinstance(outcome, Refusal) and outcome.code in RETRY_CODES

    def retry(self) -> None:
        """Back to the typing screen with what was typed, on the number."""
        if self.r.busy:
            return
        self.r.touch()
        self.field = "number"
        self.error = ""
        self.r.go(Screen.ARRIVAL)

    def send(self, request: ArrivalRequest) -> None:
        """``mark_arrived`` on the worker; its outcome on the arrived or refusal screen."""
        args = dict(request.args)
        self.typed = args.get("how") == "kiosk"
        self.r.start(
            "checking_in",
            lambda: self.ops.mark_arrived(args),
            lambda outcome: self.results.show(outcome, arrival=True),
        )
