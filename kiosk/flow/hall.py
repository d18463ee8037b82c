"""What the hub says: the link, the catalog and board (services, waiting, opening hours), the
hall's name and the city's nearby-halls data; and which resting screen follows from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hall.core.timekeeping import PLAUSIBLE_FLOOR
from kiosk import services
from kiosk.flow.router import RESTING, Router, Screen


class HallState:
    def __init__(self, router: Router, recover: Callable[[], object]) -> None:
        """``recover`` finishes a ticket left in flight; it runs on the worker whenever the
        link comes up."""
        self.r = router
        self._recover = recover
        self.hall_name = router.opt.hall_name
        self.link_up = False
        self.catalog: dict[str, Any] | None = None
        self.board: dict[str, Any] | None = None
        self.entries: list[services.ServiceEntry] = []
        self.nearby: dict[str, Any] | None = None

    def set_catalog(self, payload: dict[str, Any]) -> None:
        self.catalog = payload or None
        self._rebuild()

    def set_board(self, payload: dict[str, Any]) -> None:
        self.board = payload or None
        self._rebuild()

    def _rebuild(self) -> None:
        self.entries = services.build_entries(self.catalog, self.board)
        for source in (self.board, self.catalog):
            if source and source.get("hall_name"):
                self.hall_name = str(source["hall_name"])
        self.r.notify("board")
        self.settle()

    def set_link(self, up: bool) -> None:
        if up == self.link_up:
            return
        self.link_up = up
        self.r.notify("link")
        if up:
            self.r.run(self._recover, lambda _done: None)
        self.settle()

    def set_nearby(self, payload: dict[str, Any]) -> None:
        self.nearby = payload or None
        self.r.notify("nearby")

    def entry(self, code: str) -> services.ServiceEntry | None:
        return next((e for e in self.entries if e.code == code), None)

    # --- opening hours ---------------------------------------------------------------------

    def hours_known(self) -> bool:
        """The kiosk checks hours itself only with a plausible clock and a catalog."""
        return self.r.opt.hours_check and self.r.clock() >= PLAUSIBLE_FLOOR and bool(self.entries)

    def is_open(self) -> bool:
        return not self.hours_known() or services.open_now(self.entries, self.r.local_now())

    def service_open(self, entry: services.ServiceEntry) -> bool:
        return not self.hours_known() or entry.is_open(self.r.local_now())

    def settle(self) -> None:
        """On a resting screen, show home, closed or offline as the state says."""
        if self.r.screen not in RESTING:
            return
        if not self.link_up:
            target = Screen.OFFLINE
        elif not self.is_open():
            target = Screen.CLOSED
        else:
            target = Screen.HOME
        if target is not self.r.screen:
            self.r.go(target)
