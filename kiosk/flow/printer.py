"""The printer watched while the kiosk is idle.

Every ``printer_poll_s`` seconds on a resting screen (home, closed, offline) the printer's
status is asked on the worker; ``Ticketing.printer_status`` reports a change to the hub
(``report_device``: ``device.fault`` when it cannot print, ``device.recovered`` when it can
again). While it cannot print, home shows 暂停取号 and takes no taps, and the watch asks
every few seconds so that a new paper roll is noticed at once. A failed print or a printer
found down at the moment of issuing pauses ticketing the same way, without waiting.
"""

from __future__ import annotations

from typing import Protocol

from drivers.printer import PrinterStatus
from kiosk.flow.router import RESTING, Router
from kiosk.outcomes import Issued, Outcome, PrinterDown, PrintFailed

PAUSED_POLL_S = 5.0
DEVICE_FAULTS = ("paper_out", "cover_open", "offline", "error", "unknown", "timeout")
"""Failure reasons that mean the printer itself is down (not the link to the hub)."""


class StatusPort(Protocol):
    def printer_status(self) -> PrinterStatus: ...


class PrinterWatch:
    def __init__(self, router: Router, ops: StatusPort) -> None:
        self.r = router
        self.ops = ops
        self.paused: str | None = None  # the printer's state while it cannot print
        self._asking = False
        self._next = 0.0

    def tick(self) -> None:
        now = self.r.clock()
        if self._asking or self.r.busy or self.r.screen not in RESTING or now < self._next:
            return
        self.poll()

    def poll(self) -> None:
        self._asking = True
        self.r.run(self.ops.printer_status, self._answered)

    def _answered(self, status: PrinterStatus) -> None:
        self._asking = False
        self._set(None if status.can_print else status.state.value)

    def learn(self, outcome: Outcome) -> None:
        """What issuing found out about the printer (called for every outcome shown)."""
        if isinstance(outcome, PrinterDown):
            self._set(outcome.state)
        elif isinstance(outcome, PrintFailed) and outcome.reason in DEVICE_FAULTS:
            self._set(outcome.reason)
        elif isinstance(outcome, Issued):
            self._set(None)

    def _set(self, paused: str | None) -> None:
        wait = PAUSED_POLL_S if paused else self.r.opt.printer_poll_s
        self._next = self.r.clock() + min(wait, self.r.opt.printer_poll_s)
        if paused != self.paused:
            self.paused = paused
            self.r.notify("printer")
