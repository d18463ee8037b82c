"""Taking a ticket: a category or a search, the service, the 绿色通道 question, the print."""

from __future__ import annotations

from typing import Protocol

from kiosk import search
from kiosk.flow.hall import HallState
from kiosk.flow.printer import PrinterWatch
from kiosk.flow.results import Results
from kiosk.flow.router import Router, Screen
from kiosk.outcomes import Outcome
from kiosk.services import ServiceEntry
from kiosk.texts import refusal_text

GREEN_CHANNEL = ("elderly", "disability", "pregnancy")
QUERY_MAX = 20


class IssuePort(Protocol):
    def issue(self, service: str, priority: str = "normal") -> Outcome: ...


class TakeTicket:
    def __init__(
        self,
        router: Router,
        hall: HallState,
        results: Results,
        printer: PrinterWatch,
        ops: IssuePort,
    ) -> None:
        self.r = router
        self.hall = hall
        self.results = results
        self.printer = printer
        self.ops = ops
        self.category: str | None = None
        self.query = ""
        self.service: ServiceEntry | None = None
        router.on_reset(self.clear, pristine=lambda: self.category is None)

    def clear(self) -> None:
        self.category = None
        self.query = ""
        self.service = None

    # --- choosing --------------------------------------------------------------------------

    def pick_category(self, category: str | None) -> None:
        self.r.touch()
        self.category = category
        self.r.notify("category")

    def home_entries(self) -> list[ServiceEntry]:
        """The home screen's tiles: the category's, or all (elder mode has no categories)."""
        entries = self.hall.entries
        if self.category is None or self.r.elder:
            return list(entries)
        return [e for e in entries if e.category == self.category]

    def open_search(self) -> None:
        if self.r.busy:
            return
        self.r.touch()
        self.query = ""
        self.r.go(Screen.SEARCH)

    def search_key(self, key: str) -> None:
        self.r.touch()
        if key in ("backspace", "delete"):
            self.query = self.query[:-1]
        elif key == "clear":
            self.query = ""
        elif len(self.query) < QUERY_MAX:
            self.query += key
        self.r.notify("search")

    def found(self) -> list[ServiceEntry]:
        return search.search(self.hall.entries, self.query)

    # --- issuing ---------------------------------------------------------------------------

    def pick_service(self, code: str) -> None:
        r = self.r
        if r.busy or r.screen not in (Screen.HOME, Screen.SEARCH):
            return
        r.touch()
        entry = self.hall.entry(code)
        if entry is None:
            return
        self.service = entry
        if self.printer.paused:
            self.results.printer_down(self.printer.paused)
            return
        if not self.hall.service_open(entry):
            message, hint = refusal_text(
                "outside_hours",
                f"不在办理时间内。办理时间：{entry.hours_text}",
                "请在办理时间内取号",
                r.lang,
            )
            self.results.refuse(r.text("refused_title"), message, hint)
            return
        if self.asks_priority(code):
            r.go(Screen.PRIORITY)
        else:
            self._issue(code, "normal")

    def asks_priority(self, code: str) -> bool:
        opt = self.r.opt
        if not opt.green_channel:
            return False
        return not opt.green_services or code in opt.green_services

    def pick_priority(self, priority: str) -> None:
        if self.r.busy or self.r.screen is not Screen.PRIORITY or self.service is None:
            return
        if priority not in ("normal", *GREEN_CHANNEL):
            raise ValueError(f"not a kiosk priority: {priority}")
        self.r.touch()
        self._issue(self.service.code, priority)

    def _issue(self, code: str, priority: str) -> None:
        self.r.start("printing", lambda: self.ops.issue(code, priority), self.results.show)
