"""Turns a legacy pad's key codes into the abstract key presses v1 pads send. Pure.

The mapping (docs/PAD_PROTOCOL.md, "Legacy key mapping"):

- ``0x0C`` call: CALL_NEXT, or CALL_NUMBER(digits) when digits were typed first.
- ``0x0D`` recall: RECALL.  ``0x0B`` evaluate: EVAL_REQUEST.  ``0x12`` pause: PAUSE.
- ``digits 0x13`` transfer: TRANSFER(digits) (a service code or counter number).
- ``0x0E`` cancel: clears the typed digits, no event.
- ``d 0x0F`` (one digit) functions: 0 HOLD, 1 START, 2 FINISH, 3 CALL_BACK, 4 RESUME,
  5 LOGOUT, 6 SKIP; 7-9 are unassigned and refused.
- ``ddd… 0x0F`` (three to eight digits): LOGIN(staff number).

Refused sequences (clear error, nothing happens): digits before recall, evaluate or
pause; transfer without digits; two-digit functions; more than eight digits; unknown
codes. Typed digits expire after ``digit_timeout`` seconds without a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_pad import frames_legacy as fl
from counter_pad.keys import MAX_ARG, Key, KeyPress

FUNCTIONS: dict[str, Key] = {
    "0": Key.HOLD,
    "1": Key.START,
    "2": Key.FINISH,
    "3": Key.CALL_BACK,
    "4": Key.RESUME,
    "5": Key.LOGOUT,
    "6": Key.SKIP,
}
LOGIN_MIN_DIGITS = 3
SIMPLE = {fl.KEY_RECALL: Key.RECALL, fl.KEY_EVALUATE: Key.EVAL_REQUEST, fl.KEY_PAUSE: Key.PAUSE}


@dataclass(frozen=True)
class Rejected:
    """A key sequence that means nothing; the link beeps an error and counts it."""

    reason: str


Outcome = KeyPress | Rejected | None  # None: digits are being typed


class LegacyKeyInterpreter:
    """One per pad: holds the digits typed so far."""

    def __init__(self, digit_timeout: float = 10.0) -> None:
        self.digit_timeout = digit_timeout
        self._digits = ""
        self._too_long = False
        self._last = 0.0

    @property
    def typed(self) -> str:
        return self._digits

    def press(self, code: int, now: float) -> Outcome:
        if self._digits and now - self._last > self.digit_timeout:
            self._clear()
        self._last = now
        if code in fl.KEY_DIGITS:
            if len(self._digits) >= MAX_ARG:
                self._too_long = True
            else:
                self._digits += str(code)
            return None
        digits, too_long = self._digits, self._too_long
        self._clear()
        if code == fl.KEY_CANCEL:
            return None
        if too_long:
            return Rejected(f"more than {MAX_ARG} digits typed")
        if code == fl.KEY_CALL:
            return KeyPress(Key.CALL_NUMBER, digits) if digits else KeyPress(Key.CALL_NEXT)
        if code in SIMPLE:
            if digits:
                return Rejected(f"digits {digits} before key 0x{code:02X}")
            return KeyPress(SIMPLE[code])
        if code == fl.KEY_TRANSFER:
            return KeyPress(Key.TRANSFER, digits) if digits else Rejected("transfer needs a target")
        if code == fl.KEY_FUNCTION:
            return _function(digits)
        return Rejected(f"unknown key code 0x{code:02X}")

    def _clear(self) -> None:
        self._digits = ""
        self._too_long = False


def _function(digits: str) -> KeyPress | Rejected:
    if len(digits) >= LOGIN_MIN_DIGITS:
        return KeyPress(Key.LOGIN, digits)
    if digits in FUNCTIONS:
        return KeyPress(FUNCTIONS[digits])
    return Rejected(f"no function {digits or '(none)'}")
