"""The technician's mode: a PIN gate (five taps on the title open it, wrong PINs lock it a
while), printer status and test page (测试样张), the numbers voided after a failed print,
reprints, the scanner test, input device states."""

from __future__ import annotations

import hmac
from typing import Any, Protocol

from drivers.printer import PrinterStatus, PrintResult
from kiosk.checkin import Keys, describe
from kiosk.flow.router import RESTING, Router, Screen
from kiosk.outcomes import Issued, Outcome, PrintFailed, Refusal, Void
from kiosk.texts import state_text

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


class TechPort(Protocol):
    """What the technician's screen needs of ``kiosk.ticketing.Ticketing``."""

    def printer_status(self) -> PrinterStatus: ...

    def test_print(self, lines: list[str]) -> PrintResult: ...

    def reprints(self) -> list[dict[str, Any]]: ...

    def reprint(self, ticket_id: str) -> Outcome: ...

    def voids(self) -> list[Void]: ...

    def report(self, device: str, kind: str, ok: bool, state: str, detail: str = "") -> None: ...


class Technician:
    """The technician's side of a kiosk: the PIN, printer status and test page, the numbers
    voided after a failed print, reprints, the scanner test and the input devices."""

    def __init__(self, router: Router, ops: TechPort, keys: Keys) -> None:
        self.r = router
        self.ops = ops
        self.keys = keys
        self.gate = PinGate(router.opt.technician_pin)
        self.pin_message = ""
        self.printer = ""
        self.message = ""
        self.message_ok = True
        self.scan = ""
        self.inputs: dict[str, tuple[str, str]] = {}
        router.on_reset(self.clear)

    def clear(self) -> None:
        self.message = ""
        self.scan = ""

    def title_tap(self) -> None:
        r = self.r
        if r.busy or r.screen not in RESTING:
            return
        if self.gate.tap(r.clock()):
            self.pin_message = "" if self.gate.enabled else r.text("pin_disabled")
            r.go(Screen.PIN)

    def pin_key(self, key: str) -> None:
        self.r.touch()
        if key == "enter":
            self.pin_submit()
            return
        self.gate.key(key)
        self.r.notify("pin")

    def pin_submit(self) -> None:
        r = self.r
        now = r.clock()
        result = self.gate.submit(now)
        if result == "ok":
            self.clear()
            r.go(Screen.TECH)
            self.refresh()
            return
        if result == "locked":
            self.pin_message = r.text("pin_locked", s=self.gate.locked_for(now))
        elif result == "disabled":
            self.pin_message = r.text("pin_disabled")
        else:
            self.pin_message = r.text("pin_wrong")
        r.notify("pin")

    def refresh(self) -> None:
        def done(status: PrinterStatus) -> None:
            self.printer = state_text(status.state.value, self.r.lang)
            self.r.notify("tech")

        self.r.run(self.ops.printer_status, done)

    def _say(self, ok: bool, key: str, **values: Any) -> None:
        self.message = self.r.text(key, **values)
        self.message_ok = ok
        self.r.notify("tech")

    def test_print(self) -> None:
        lines = [f"{k}: {v}" for k, v in self.r.opt.versions]

        def done(result: PrintResult) -> None:
            lang = self.r.lang
            self.printer = state_text(result.status_after.state.value, lang)
            if result.ok:
                self._say(True, "tech_test_ok")
            else:
                reason = result.reason.value if result.reason else ""
                self._say(False, "tech_test_failed", reason=state_text(reason, lang))

        self.r.run(lambda: self.ops.test_print(lines), done)

    def reprints(self) -> list[dict[str, Any]]:
        return self.ops.reprints()

    def voids(self) -> list[Void]:
        return self.ops.voids()

    def reprint(self, ticket_id: str) -> None:
        def done(outcome: Outcome) -> None:
            if isinstance(outcome, Issued):
                self._say(True, "tech_reprinted", number=outcome.ticket.number)
            elif isinstance(outcome, PrintFailed):
                reason = state_text(outcome.reason, self.r.lang)
                self._say(False, "tech_reprint_failed", reason=reason)
            elif isinstance(outcome, Refusal):
                self.message, self.message_ok = outcome.message, False
                self.r.notify("tech")
            else:
                self._say(False, "offline_title")

        self.r.run(lambda: self.ops.reprint(ticket_id), done)

    def scanned(self, text: str) -> None:
        """The scanner test: what was scanned, never the content (it may be an ID number)."""
        key, values = describe(text, self.keys, now=self.r.clock())
        self.scan = self.r.text(key, **values)
        self.r.notify("tech")

    def scan_rejected(self, reason: str) -> None:
        self.scan = self.r.text("scan_rejected", reason=reason)
        self.r.notify("tech")

    def set_input_state(self, name: str, kind: str, state: str, detail: str) -> None:
        self.inputs[name] = (state, detail)
        self.r.notify("tech")
        ok = state == "ready"
        self.r.run(lambda: self.ops.report(name, kind, ok, state, detail[:200]), _ignore)

    def device_fault(self, kind: str, message: str) -> None:
        """A speech or audio fault from the guide (called on the GUI thread)."""
        self.r.run(lambda: self.ops.report(kind, kind, False, "failed", message), _ignore)


def _ignore(_result: object) -> None:
    return None
