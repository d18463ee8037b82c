"""The kiosk's composition root, without Qt: the flows (kiosk/flow) built and wired.

The views (kiosk/ui) draw the flows' fields and call their methods; they listen on the
router for ``changed(aspects)``. ``KioskModel`` itself only routes what has no screen of its
own: a scanned line or a hardware key goes to the flow of the screen shown, the once-a-second
``tick`` to the router, the hall state and the printer watch, and a failed operation (a bug)
back to a plain refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from kiosk import guide as g
from kiosk.checkin import Keys
from kiosk.flow.access import Accessibility
from kiosk.flow.arrival import Arrival, ArrivalPort
from kiosk.flow.checkin import CheckIn, CheckInPort
from kiosk.flow.hall import HallState
from kiosk.flow.nearby import Nearby
from kiosk.flow.printer import PrinterWatch, StatusPort
from kiosk.flow.results import Notice, Results
from kiosk.flow.router import RESTING, ModelOptions, Router, Runner, Screen
from kiosk.flow.technician import Technician, TechPort
from kiosk.flow.tickets import GREEN_CHANNEL, IssuePort, TakeTicket

log = logging.getLogger(__name__)

__all__ = ["GREEN_CHANNEL", "RESTING", "KioskModel", "ModelOptions", "Notice", "Screen"]


class KioskOps(IssuePort, CheckInPort, ArrivalPort, StatusPort, TechPort, Protocol):
    """Everything the flows ask of ``kiosk.ticketing.Ticketing`` (blocking; on the worker)."""

    def recover(self) -> bool: ...


class KioskModel:
    def __init__(
        self,
        options: ModelOptions,
        ops: KioskOps,
        run: Runner,
        clock: Callable[[], float],
        keys: Keys | None = None,
        guide: g.Guide | None = None,
    ) -> None:
        keys = keys or Keys(None, None)
        self.opt = options
        self.router = Router(options, run, clock)
        self.hall = HallState(self.router, ops.recover)
        self.results = Results(self.router)
        self.printer = PrinterWatch(self.router, ops)
        self.results.watch(self.printer.learn)
        self.tickets = TakeTicket(self.router, self.hall, self.results, self.printer, ops)
        self.arrival = Arrival(self.router, self.hall, self.results, ops)
        self.checkin = CheckIn(self.router, self.results, self.printer, ops, keys, self.arrival)
        self.nearby = Nearby(
            self.router,
            self.hall,
            lambda: self.tickets.service.code if self.tickets.service else None,
        )
        self.access = Accessibility(
            self.router, self.results, guide, paused=lambda: self.printer.paused
        )
        self.tech = Technician(self.router, ops, keys)

    @property
    def screen(self) -> Screen:
        return self.router.screen

    def listen(self, cb: Callable[[frozenset[str]], None]) -> None:
        self.router.listen(cb)

    def tick(self) -> None:
        """Once a second: the countdown and idle timer, opening hours, the printer watch."""
        self.router.tick()
        if not self.router.busy:
            self.hall.settle()
            self.printer.tick()

    def home(self) -> None:
        r = self.router
        if r.busy:
            return
        r.touch()
        category = self.tickets.category  # back home, the citizen keeps the tab chosen
        r.clear_flows()
        self.tickets.category = category
        r.go(Screen.HOME)
        self.hall.settle()

    # --- devices ---------------------------------------------------------------------------

    def scanned(self, text: str) -> None:
        """A line from a scanner or ID reader (it may be an identity number: never kept)."""
        screen = self.router.screen
        if screen is Screen.TECH:
            self.tech.scanned(text)
        elif screen is not Screen.PIN:
            self.checkin.scanned(text)

    def scan_rejected(self, reason: str) -> None:
        if self.router.screen is Screen.TECH:
            self.tech.scan_rejected(reason)

    def keypad(self, key: str) -> None:
        """A key from a hardware keypad: PIN, code or phone ticket entry, digits on home open
        check-in."""
        screen = self.router.screen
        if screen is Screen.PIN:
            self.tech.pin_key(key)
        elif screen is Screen.CHECKIN:
            self.checkin.key(key)
        elif screen is Screen.ARRIVAL:
            self.arrival.key(key)
        elif screen is Screen.HOME and key.isdigit():
            self.checkin.open()
            self.checkin.key(key)

    def op_failed(self, exc: BaseException) -> None:
        """An operation raised (a bug, logged by the runner): never leave the screen busy."""
        r = self.router
        if r.busy:
            r.busy = False
            self.results.refuse(r.text("refused_title"), r.text("ask_staff"))
