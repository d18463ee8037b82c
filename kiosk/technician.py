"""The technician's mode: a PIN gate (five taps on the title open it, wrong PINs lock it a
while), printer status and test page, reprints, the scanner test, input device states."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from drivers.printer import PrinterStatus, PrintResult
from kiosk.checkin import describe
from kiosk.texts import state_text, t
from kiosk.ticketing import Issued, Outcome, PrintFailed, Refusal

if TYPE_CHECKING:
    from kiosk.model import KioskModel

TAPS = 5
TAP_WINDOW_S = 3.0
MAX_FAILURES = 5
LOCK_S = 60.0
PIN_MAX = 8


class PinGate:
    def __init__(self, pin: str | None) -> None:
        self._pin = pin
        self._taps: list[float] = []
        self.entry = ""
        self.failures = 0
        self.locked_until = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self._pin)

    def tap(self, now: float) -> bool:
        """One tap on the title; True when it was the fifth within the window."""
        self._taps = [t for t in self._taps if now - t <= TAP_WINDOW_S] + [now]
        if len(self._taps) >= TAPS:
            self._taps.clear()
            self.entry = ""
            return True
        return False

    def key(self, key: str) -> None:
        if key in ("backspace", "delete"):
            self.entry = self.entry[:-1]
        elif key == "clear":
            self.entry = ""
        elif key.isdigit() and len(key) == 1 and len(self.entry) < PIN_MAX:
            self.entry += key

    def locked_for(self, now: float) -> int:
        return max(0, int(self.locked_until - now + 0.999))

    def submit(self, now: float) -> str:
        """ "ok", "wrong", "locked" or "disabled"; the entry is cleared either way."""
        entry, self.entry = self.entry, ""
        if not self._pin:
            return "disabled"
        if now < self.locked_until:
            return "locked"
        if hmac.compare_digest(entry.encode(), self._pin.encode()):
            self.failures = 0
            return "ok"
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self.locked_until = now + LOCK_S
            return "locked"
        return "wrong"


class Technician:
    """The technician's side of a kiosk: the PIN, printer status and test page, reprints,
    the scanner test and the input devices' states. It works through its host ``KioskModel``
    (screens, the worker runner, device reports)."""

    def __init__(self, host: KioskModel, pin: str | None) -> None:
        self.m = host
        self.gate = PinGate(pin)
        self.pin_message = ""
        self.printer = ""
        self.message = ""
        self.scan = ""
        self.inputs: dict[str, tuple[str, str]] = {}

    def clear(self) -> None:
        self.message = ""
        self.scan = ""

    def title_tap(self) -> None:
        from kiosk.model import RESTING, Screen

        m = self.m
        if m.busy or m.screen not in RESTING:
            return
        if self.gate.tap(m.clock()):
            self.pin_message = "" if self.gate.enabled else m.text("pin_disabled")
            m.go(Screen.PIN)

    def pin_key(self, key: str) -> None:
        self.m.touch()
        if key == "enter":
            self.pin_submit()
            return
        self.gate.key(key)
        self.m.notify("pin")

    def pin_submit(self) -> None:
        from kiosk.model import Screen

        m = self.m
        now = m.clock()
        result = self.gate.submit(now)
        if result == "ok":
            self.clear()
            m.go(Screen.TECH)
            self.refresh()
            return
        if result == "locked":
            self.pin_message = m.text("pin_locked", s=self.gate.locked_for(now))
        elif result == "disabled":
            self.pin_message = m.text("pin_disabled")
        else:
            self.pin_message = m.text("pin_wrong")
        m.notify("pin")

    def refresh(self) -> None:
        def done(status: PrinterStatus) -> None:
            self.printer = state_text(status.state.value, self.m.lang)
            self.m.notify("tech")

        self.m.run(self.m.ops.printer_status, done)

    def test_print(self) -> None:
        lines = [f"{k}: {v}" for k, v in self.m.opt.versions]

        def done(result: PrintResult) -> None:
            lang = self.m.lang
            reason = result.reason.value if result.reason else ""
            self.message = (
                t("tech_test_ok", lang)
                if result.ok
                else t("tech_test_failed", lang, reason=state_text(reason, lang))
            )
            self.printer = state_text(result.status_after.state.value, lang)
            self.m.notify("tech")

        self.m.run(lambda: self.m.ops.test_print(lines), done)

    def reprints(self) -> list[dict[str, Any]]:
        return self.m.ops.journal.reprints

    def reprint(self, ticket_id: str) -> None:
        def done(outcome: Outcome) -> None:
            lang = self.m.lang
            if isinstance(outcome, Issued):
                self.message = t("tech_reprinted", lang, number=outcome.ticket.number)
            elif isinstance(outcome, PrintFailed):
                reason = state_text(outcome.reason, lang)
                self.message = t("tech_test_failed", lang, reason=reason)
            elif isinstance(outcome, Refusal):
                self.message = outcome.message
            else:
                self.message = t("offline_title", lang)
            self.m.notify("tech")

        self.m.run(lambda: self.m.ops.reprint(ticket_id), done)

    def scanned(self, text: str) -> None:
        """The scanner test: what was scanned, never the content (it may be an ID number)."""
        key, values = describe(text, self.m.keys, now=self.m.clock())
        self.scan = self.m.text(key, **values)
        self.m.notify("tech")

    def scan_rejected(self, reason: str) -> None:
        self.scan = self.m.text("scan_rejected", reason=reason)
        self.m.notify("tech")

    def set_input_state(self, name: str, kind: str, state: str, detail: str) -> None:
        self.inputs[name] = (state, detail)
        self.m.notify("tech")
        ok = state == "ready"
        self.m.run(lambda: self.m.ops.report(name, kind, ok, state, detail[:200]), _ignore)

    def device_fault(self, kind: str, message: str) -> None:
        """A speech or audio fault from the guide (called on the GUI thread)."""
        self.m.run(lambda: self.m.ops.report(kind, kind, False, "failed", message), _ignore)


def _ignore(_result: object) -> None:
    return None
