"""Issuing is printing: the blocking operations the kiosk runs on its worker thread.

``Ticketing.issue`` / ``check_in``: printer status first (a printer known to be out of paper
issues nothing), then the hub command with ``confirm_print`` (the ticket waits in
"printing"), then the print, then ``confirm_printed``; on a failed print ``void`` (or keep it
for a reprint, per ``queue.print_failure``) and a ``report_device`` fault. Every step is
written to the ``Journal`` first (see kiosk/journal.py for what a restart does with it).

Nothing here touches Qt; every method blocks and never raises for a printer or hub failure:
it returns an ``Outcome`` for the screen.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from drivers.printer import Printer, PrinterStatus, PrintResult, TicketPrint
from hall.core.model import PRIORITY_LABELS, Priority
from hall.hubapi.client import CommandRefused, HubUnreachable
from kiosk.journal import Journal
from kiosk.outcomes import (
    Arrived,
    Issued,
    Outcome,
    PrinterDown,
    PrintFailed,
    Refusal,
    TicketInfo,
    Unreachable,
    Void,
)

log = logging.getLogger(__name__)

SLOT_LABEL = "预约时段"  # the screen says the same (kiosk.texts "slot")
RECENT_VOIDS = 10


class HubPort(Protocol):
    """What the kiosk needs of ``hall.hubapi.client.HallClient``."""

    def new_key(self) -> str: ...

    def execute(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TicketingOptions:
    kiosk_id: str
    hall_id: str
    hall_name: str
    ticket_url: str
    notice: str
    tz: ZoneInfo
    print_failure: str = "void"  # or "reprint"
    confirm_timeout: float = 10.0


class Ticketing:
    def __init__(
        self,
        hub: HubPort,
        printer: Printer,
        journal: Journal,
        options: TicketingOptions,
        *,
        hall_name: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hub = hub
        self.printer = printer
        self.journal = journal
        self.opt = options
        self.hall_name_source = hall_name or (lambda: options.hall_name)
        self._lock = threading.RLock()
        self._reported: dict[str, tuple[bool, str]] = {}
        self._voids: list[Void] = []
        self.clock = clock

    # --- the citizen's operations ----------------------------------------------------------

    def issue(self, service: str, priority: str = "normal") -> Outcome:
        return self._run("issue", {"service": service, "priority": priority})

    def check_in(self, args: dict[str, Any]) -> Outcome:
        return self._run("check_in", dict(args))

    def mark_arrived(self, args: dict[str, Any]) -> Outcome:
        """A remote ticket's citizen at the kiosk (the token scanned, or the number and the
        phone's last four digits). Nothing is printed: the ticket is on the phone. The hub
        answers a second arrival with ``already``, so a repeat does no harm."""
        try:
            result = self.hub.execute("mark_arrived", dict(args))
        except CommandRefused as exc:
            return Refusal(exc.code, exc.message, exc.hint)
        except HubUnreachable:
            log.warning("hub did not answer mark_arrived")
            return Unreachable()
        return _arrived(result)

    def _run(self, command: str, args: dict[str, Any]) -> Outcome:
        with self._lock:
            if not self._recover():
                return Unreachable()
            status = self.printer.status()
            self._report_printer(status.can_print, status.state.value, "")
            if not status.can_print:
                return PrinterDown(status.state.value)
            key = self.hub.new_key()
            full = {**args, "confirm_print": True, "kiosk": self.opt.kiosk_id}
            self.journal.begin(key, command, full)
            try:
                result = self.hub.execute(command, full, key=key)
            except CommandRefused as exc:
                self.journal.clear()
                return Refusal(exc.code, exc.message, exc.hint)
            except HubUnreachable:
                log.warning("hub did not answer %s; recovery will ask again", command)
                return Unreachable()
            info = self._info(result)
            ticket = self._ticket_print(info, result)
            self.journal.advance(
                "printing",
                ticket_id=info.ticket_id,
                number=info.number,
                info=dataclasses.asdict(info),
                print=dataclasses.asdict(ticket),
            )
            printed = self.printer.print_ticket(
                ticket, on_sent=lambda: self.journal.advance("sent")
            )
            return self._after_print(info, printed)

    def _after_print(self, info: TicketInfo, printed: PrintResult) -> Outcome:
        if printed.ok:
            self.journal.advance("printed")
            self._report_printer(True, printed.status_after.state.value, "")
            if self._confirm(info.ticket_id) == "voided":
                return PrintFailed(info, "unconfirmed", voided=True)
            return Issued(info)
        reason = printed.reason.value if printed.reason else "unknown"
        keep = self.opt.print_failure == "reprint"
        what = "kept for reprint" if keep else "voided"
        self._report_printer(False, reason, f"ticket {info.number} {what}: {printed.detail}")
        voided = self._give_up(reason="print_failed", cause=reason)
        return PrintFailed(info, reason, voided=voided)

    # --- the hub's last word ---------------------------------------------------------------

    def _confirm(self, ticket_id: str) -> str:
        """confirm_printed; "confirmed", "voided" (the hub voided it first) or "pending"."""
        try:
            self.hub.execute(
                "confirm_printed", {"ticket_id": ticket_id}, timeout=self.opt.confirm_timeout
            )
        except CommandRefused as exc:
            log.warning("ticket %s not confirmed: %s", ticket_id, exc.code)
            self.journal.clear()
            return "voided"
        except HubUnreachable:
            log.warning("confirm_printed for %s not answered; will retry", ticket_id)
            return "pending"
        self.journal.clear()
        return "confirmed"

    def _give_up(self, *, reason: str, cause: str = "") -> bool:
        """Void the in-flight ticket (or keep it for reprint). True when it is (to be) voided."""
        entry = self.journal.inflight
        assert entry is not None
        if self.opt.print_failure == "reprint" and "print" in entry:
            self.journal.keep_for_reprint(
                {
                    "ticket_id": entry["ticket_id"],
                    "number": entry["number"],
                    "print": entry["print"],
                    "info": entry.get("info", {}),
                }
            )
            return False
        self.journal.advance("voiding", void_reason=reason)
        self._noted(Void(str(entry.get("number", "")), cause or reason, self.clock()))
        self._void(entry["ticket_id"], reason)
        return True

    def _noted(self, void: Void) -> None:
        with self._lock:
            self._voids = [void, *self._voids][:RECENT_VOIDS]

    def voids(self) -> list[Void]:
        """The numbers voided lately, newest first."""
        with self._lock:
            return list(self._voids)

    def reprints(self) -> list[dict[str, Any]]:
        """Tickets kept for a reprint (``queue.print_failure = "reprint"``)."""
        return self.journal.reprints

    def _void(self, ticket_id: str, reason: str) -> None:
        try:
            self.hub.execute("void", {"ticket_id": ticket_id, "reason": reason})
        except CommandRefused as exc:
            log.warning("void of %s refused: %s", ticket_id, exc.code)
        except HubUnreachable:
            log.warning("void of %s not answered; recovery will send it again", ticket_id)
            return
        self.journal.clear()

    # --- recovery --------------------------------------------------------------------------

    def recover(self) -> bool:
        """Finish what a killed or cut-off kiosk left in flight; True when nothing is left."""
        with self._lock:
            return self._recover()

    def _recover(self) -> bool:
        entry = self.journal.inflight
        if entry is None:
            return True
        phase = entry["phase"]
        log.warning("print journal: recovering a ticket left in phase %s", phase)
        try:
            if phase == "issuing":
                try:
                    result = self.hub.execute(entry["command"], entry["args"], key=entry["key"])
                except CommandRefused:
                    self.journal.clear()
                    return True
                self.journal.advance(
                    "voiding", ticket_id=result["ticket_id"], number=result["number"]
                )
                self._void(result["ticket_id"], "not_delivered")
            elif phase in ("printing", "sent"):
                # Never print again (no double ticket); "sent" only means the bytes left
                # the kiosk: see kiosk/journal.py for why this is voided, not confirmed.
                self._report_printer(False, "print_interrupted", f"ticket {entry['number']}")
                self._give_up(reason="print_interrupted")
            elif phase == "printed":
                self._confirm(entry["ticket_id"])
            elif phase == "voiding":
                self._void(entry["ticket_id"], entry.get("void_reason", "print_failed"))
        except HubUnreachable:
            return False
        return self.journal.inflight is None

    # --- technician ------------------------------------------------------------------------

    def printer_status(self) -> PrinterStatus:
        status = self.printer.status()
        self._report_printer(status.can_print, status.state.value, "")
        return status

    def test_print(self, lines: list[str]) -> PrintResult:
        result = self.printer.print_test_page(lines)
        reason = result.reason.value if result.reason else result.status_after.state.value
        self._report_printer(result.ok, reason, "" if result.ok else result.detail[:200])
        return result

    def reprint(self, ticket_id: str) -> Outcome:
        """Print a ticket kept for reprint again and confirm it."""
        with self._lock:
            entry = next((r for r in self.journal.reprints if r["ticket_id"] == ticket_id), None)
            if entry is None:
                return Refusal("unknown_ticket", "没有这张待补打的号票")
            info = TicketInfo(**entry["info"]) if entry.get("info") else None
            printed = self.printer.print_ticket(TicketPrint(**entry["print"]))
            if info is None:
                info = self._info({"ticket_id": ticket_id, "number": entry["number"]})
            if not printed.ok:
                reason = printed.reason.value if printed.reason else "unknown"
                self._report_printer(False, reason, printed.detail[:200])
                return PrintFailed(info, reason, voided=False)
            self._report_printer(True, printed.status_after.state.value, "")
            try:
                self.hub.execute("confirm_printed", {"ticket_id": ticket_id})
            except CommandRefused as exc:
                self.journal.drop_reprint(ticket_id)
                return Refusal(exc.code, exc.message, exc.hint)
            except HubUnreachable:
                return Unreachable()
            self.journal.drop_reprint(ticket_id)
            return Issued(info)

    # --- device reports --------------------------------------------------------------------

    def report(self, device: str, kind: str, ok: bool, state: str, detail: str = "") -> None:
        """``report_device`` when the device's state changed since the last report."""
        name = f"{self.opt.kiosk_id}/{device}"
        if self._reported.get(name) == (ok, state):
            return
        args: dict[str, Any] = {"device": name, "kind": kind, "ok": ok, "state": state}
        if detail:
            args["detail"] = detail[:200]
        try:
            self.hub.execute("report_device", args)
        except (CommandRefused, HubUnreachable) as exc:
            log.info("device report for %s not delivered (%s); will repeat", name, exc)
            return
        self._reported[name] = (ok, state)

    def _report_printer(self, ok: bool, state: str, detail: str) -> None:
        self.report("printer", "printer", ok, state, detail)

    # --- what is printed -------------------------------------------------------------------

    def _url(self, ticket_id: str, number: str) -> str:
        """The ticket's status page; "" when the hall has none (no QR code is printed)."""
        if not self.opt.ticket_url:
            return ""
        return self.opt.ticket_url.format(
            hall_id=self.opt.hall_id, ticket_id=ticket_id, number=number
        )

    def _info(self, result: dict[str, Any]) -> TicketInfo:
        slot = None
        if result.get("slot_start") and result.get("slot_end"):
            slot = f"{result['slot_start']}-{result['slot_end']}"
        est = result.get("est_wait_min")
        return TicketInfo(
            ticket_id=str(result["ticket_id"]),
            number=str(result["number"]),
            service=str(result.get("service", "")),
            service_name=str(result.get("service_name", result.get("service", ""))),
            waiting_ahead=int(result.get("waiting_ahead", 0) or 0),
            est_wait_min=int(est) if isinstance(est, int | float) else None,
            priority=str(result.get("priority", "normal")),
            issued_at=float(result.get("issued_at", 0.0) or 0.0),
            qr_url=self._url(str(result["ticket_id"]), str(result["number"])),
            timing=result.get("timing"),
            slot=slot,
        )

    def _ticket_print(self, info: TicketInfo, result: dict[str, Any]) -> TicketPrint:
        when = datetime.fromtimestamp(info.issued_at, self.opt.tz).strftime("%Y-%m-%d %H:%M")
        try:
            priority = Priority(info.priority)
        except ValueError:
            priority = Priority.NORMAL
        label = None if priority is Priority.NORMAL else PRIORITY_LABELS[priority]
        note = f"{SLOT_LABEL} {info.slot}" if info.slot else None
        return TicketPrint(
            hall_name=self.hall_name_source(),
            service_name=info.service_name,
            number=info.number,
            issued_at=when,
            waiting_ahead=info.waiting_ahead,
            est_wait_min=info.est_wait_min,
            qr_payload=info.qr_url or None,
            notice=self.opt.notice,
            priority_label=label,
            appointment_note=note,
        )


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _arrived(result: dict[str, Any]) -> Arrived:
    service = result.get("service")
    return Arrived(
        ticket_id=str(result["ticket_id"]),
        number=str(result["number"]),
        already=result.get("already") is True,
        service=service if isinstance(service, str) and service else None,
        waiting_ahead=_count(result.get("waiting_ahead")),
        est_wait_min=_count(result.get("est_wait_min")),
    )
