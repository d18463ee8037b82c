"""The citizen's screens: home, search, priority, busy, ticket, print failure, refusal,
check-in, closed, offline. Each draws the model in ``redraw`` and calls it on touches."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.model import KioskModel
from kiosk.services import ServiceEntry
from kiosk.ticketing import Issued, PrintFailed
from kiosk.ui.widgets import (
    Keypad,
    LetterKeyboard,
    Tile,
    button,
    discard,
    label,
    qr_pixmap,
    scrolling,
    set_active,
)


class View(QWidget):
    def __init__(self, model: KioskModel) -> None:
        super().__init__()
        self.m = model

    def redraw(self) -> None:
        raise NotImplementedError


def load_text(m: KioskModel, e: ServiceEntry) -> str:
    if not m.service_open(e):
        return f"{m.text('service_closed')}  {e.hours_text}".strip()
    if e.waiting == 0:
        return m.text("no_wait")
    est = m.text("est_wait", m=e.est_wait_min) if e.est_wait_min is not None else m.text("est_none")
    return f"{m.text('waiting', n=e.waiting)} · {est}"


class ServiceGrid(QWidget):
    """Service tiles in as many columns as fit; tiles are kept and relabelled while the
    service list stays the same, so a board update never deletes a button under a finger."""

    TILE_PX = 440  # narrowest tile at scale 1

    def __init__(self, model: KioskModel) -> None:
        super().__init__()
        self.m = model
        self.grid = QGridLayout(self)
        self.grid.setSpacing(16)
        self.tiles: dict[str, Tile] = {}
        self._codes: list[str] = []
        self._columns = 0
        self.area = scrolling(self)

    def columns(self) -> int:
        width = self.area.viewport().width() or self.area.width()
        return max(1, min(4, width // round(self.TILE_PX * self.m.scale())))

    def show_entries(self, entries: list[ServiceEntry]) -> None:
        codes = [e.code for e in entries]
        if codes != self._codes:
            for tile in self.tiles.values():
                discard(tile)
            self.tiles = {
                e.code: Tile(f"service-{e.code}", partial(self.m.pick_service, e.code))
                for e in entries
            }
            self._codes = codes
            self._columns = 0
        self._place()
        for e in entries:
            self.tiles[e.code].set_texts(e.name, load_text(self.m, e))

    def _place(self) -> None:
        columns = self.columns()
        if columns == self._columns:
            return
        for i, code in enumerate(self._codes):
            self.grid.addWidget(self.tiles[code], i // columns, i % columns)
        self._columns = columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()


class HomeView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.heading = label("", "heading")
        lay.addWidget(self.heading)
        self.tabs_box = QGridLayout()
        lay.addLayout(self.tabs_box)
        self.tabs: dict[str, QPushButton] = {}
        self._tab_names: list[str] = []
        self.stale = label("", "banner")
        lay.addWidget(self.stale)
        self.grid = ServiceGrid(model)
        lay.addWidget(self.grid.area, 1)
        bottom = QHBoxLayout()
        self.search = button("", "open-search", model.open_search)
        self.checkin = button("", "open-checkin", model.open_checkin, "primary")
        self.nearby = button("", "open-nearby", lambda: model.open_nearby())
        for b in (self.search, self.checkin, self.nearby):
            bottom.addWidget(b)
        lay.addLayout(bottom)

    def redraw(self) -> None:
        m = self.m
        self.heading.setText(m.text("choose_service"))
        names = ["", *dict.fromkeys(e.category for e in m.entries if e.category)]
        if names != self._tab_names:
            for b in self.tabs.values():
                discard(b)
            self.tabs = {}
            for name in names:
                b = button(
                    name,
                    f"category-{name or 'all'}",
                    partial(m.pick_category, name or None),
                    "tab",
                )
                self.tabs[name] = b
            self._tab_names = names
        for i, name in enumerate(names):
            self.tabs_box.addWidget(self.tabs[name], i // 7, i % 7)
            # Elder mode: one long list in large type, no categories to choose between.
            self.tabs[name].setVisible(not m.elder)
        self.tabs[""].setText(m.text("all_categories"))
        for name, b in self.tabs.items():
            set_active(b, (m.category or "") == name)
        self.stale.setText("" if m.entries else m.text("stale"))
        self.stale.setVisible(not m.entries)
        self.grid.show_entries(m.visible_entries())
        self.search.setText(m.text("search"))
        self.checkin.setText(m.text("check_in"))
        self.nearby.setText(m.text("nearby"))
        self.nearby.setVisible(m.opt.navigation)


class SearchView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.hint = label("", "subheading")
        self.query = label("", "code")
        self.none = label("", "banner")
        self.grid = ServiceGrid(model)
        self.keyboard = LetterKeyboard(model.search_key)
        self.back = button("", "back", model.home)
        for w in (self.hint, self.query, self.none):
            lay.addWidget(w)
        lay.addWidget(self.grid.area, 1)
        lay.addWidget(self.keyboard)
        lay.addWidget(self.back)

    def redraw(self) -> None:
        m = self.m
        self.hint.setText(m.text("search_hint"))
        self.query.setText(m.query or " ")
        found = m.visible_entries()
        self.none.setText("" if found else m.text("search_none"))
        self.grid.show_entries(found)
        self.keyboard.buttons["delete"].setText(m.text("delete"))
        self.keyboard.buttons["clear"].setText(m.text("clear"))
        self.back.setText(m.text("home"))


class PriorityView(View):
    KEYS = ("normal", "elderly", "disability", "pregnancy")

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.service = label("", "subheading", center=True)
        self.title = label("", "heading", center=True)
        self.note = label("", "big", center=True)
        for w in (self.service, self.title, self.note):
            lay.addWidget(w)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(self.KEYS):
            b = button(
                "",
                f"priority-{key}",
                partial(model.pick_priority, key),
                "primary" if key == "normal" else "service",
            )
            self.buttons[key] = b
            if key == "normal":
                grid.addWidget(b, 0, 0, 1, 3)
            else:
                grid.addWidget(b, 1, i - 1)
        lay.addLayout(grid, 1)
        self.back = button("", "back", model.home)
        lay.addWidget(self.back)

    def redraw(self) -> None:
        m = self.m
        self.service.setText(m.service.name if m.service else "")
        self.title.setText(m.text("priority_title"))
        self.note.setText(m.text("priority_note"))
        for key, b in self.buttons.items():
            b.setText(m.text(f"priority_{key}"))
        self.back.setText(m.text("back"))


class BusyView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.text = label("", "heading", center=True)
        lay.addWidget(self.text)

    def redraw(self) -> None:
        self.text.setText(self.m.text(self.m.busy_key))


class TicketView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.caption = label("", "subheading", center=True)
        self.number = label("", "number", center=True)
        self.service = label("", "big", center=True)
        self.ahead = label("", "big", center=True)
        self.wait = label("", "big", center=True)
        self.timing = label("", "banner", center=True)
        self.watch = label("", "subheading", center=True)
        for w in (
            self.title,
            self.caption,
            self.number,
            self.service,
            self.ahead,
            self.wait,
            self.timing,
            self.watch,
        ):
            lay.addWidget(w)
        self.home = button("", "home", model.home, "primary")
        lay.addWidget(self.home)

    def redraw(self) -> None:
        m = self.m
        if not isinstance(m.outcome, Issued):
            return
        tk = m.outcome.ticket
        self.title.setText(m.text("take_your_ticket"))
        self.caption.setText(m.text("your_number"))
        self.number.setText(tk.number)
        self.service.setText(tk.service_name)
        self.ahead.setText(
            m.text("ahead", n=tk.waiting_ahead) if tk.waiting_ahead else m.text("ahead_none")
        )
        self.wait.setText(
            m.text("wait_about", m=tk.est_wait_min)
            if tk.est_wait_min is not None
            else m.text("wait_unknown")
        )
        self.wait.setVisible(bool(tk.waiting_ahead))
        timing = ""
        if tk.timing:
            timing = m.text(f"timing_{tk.timing}")
            if tk.slot:
                start, end = tk.slot.split("-")
                timing += "\n" + m.text("slot", start=start, end=end)
        self.timing.setText(timing)
        self.timing.setVisible(bool(timing))
        self.watch.setText(m.text("watch_calls"))
        self.home.setText(m.text("home"))


class FailedView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.number = label("", "number", center=True)
        self.service = label("", "big", center=True)
        self.qr = QLabel()
        self.qr.setObjectName("qr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scan = label("", "subheading", center=True)
        self.message = label("", "error", center=True)
        for w in (self.title, self.number, self.service, self.qr, self.scan, self.message):
            lay.addWidget(w)
        self.home = button("", "home", model.home, "primary")
        lay.addWidget(self.home)
        self.qr_payload = ""

    def redraw(self) -> None:
        m = self.m
        if not isinstance(m.outcome, PrintFailed):
            return
        tk = m.outcome.ticket
        self.title.setText(m.text("print_failed_title"))
        self.number.setText(tk.number)
        self.service.setText(tk.service_name)
        if self.qr_payload != tk.qr_url:
            self.qr.setPixmap(qr_pixmap(tk.qr_url, round(260 * m.scale())))
            self.qr_payload = tk.qr_url
        self.scan.setText(m.text("scan_to_follow"))
        key = "print_failed_void" if m.outcome.voided else "print_failed_reprint"
        self.message.setText(m.text(key))
        self.home.setText(m.text("home"))


class RefusedView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.message = label("", "big", center=True)
        self.hint = label("", "subheading", center=True)
        for w in (self.title, self.message, self.hint):
            lay.addWidget(w)
        lay.addStretch(1)
        row = QHBoxLayout()
        self.nearby = button("", "refused-nearby", lambda: model.open_nearby())
        self.home = button("", "home", model.home, "primary")
        row.addWidget(self.nearby)
        row.addWidget(self.home)
        lay.addLayout(row)

    def redraw(self) -> None:
        m = self.m
        notice = m.notice
        self.title.setText(notice.title if notice else "")
        self.message.setText(notice.message if notice else "")
        self.hint.setText(notice.hint if notice else "")
        self.nearby.setText(m.text("nearby"))
        self.nearby.setVisible(m.opt.navigation and m.service is not None)
        self.home.setText(m.text("home"))


class CheckInView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.title = label("", "heading", center=True)
        self.scan = label("", "big", center=True)
        self.code_hint = label("", "subheading", center=True)
        self.code = label("", "code", center=True)
        self.error = label("", "error", center=True)
        for w in (self.title, self.scan, self.code_hint, self.code, self.error):
            left.addWidget(w)
        left.addStretch(1)
        self.back = button("", "back", model.home)
        left.addWidget(self.back)
        right = QVBoxLayout()
        self.keypad = Keypad("code", model.code_key)
        right.addWidget(self.keypad, 1)
        self.submit = button("", "code-submit", model.submit_code, "primary")
        right.addWidget(self.submit)
        outer.addLayout(left, 1)
        outer.addLayout(right, 1)

    def redraw(self) -> None:
        m = self.m
        self.title.setText(m.text("checkin_title"))
        self.scan.setText(m.text("checkin_scan"))
        self.code_hint.setText(m.text("checkin_code"))
        self.code.setText(" ".join(m.code.ljust(6, "_")))
        self.error.setText(m.code_error)
        self.keypad.relabel({"delete": m.text("delete"), "clear": m.text("clear")})
        self.back.setText(m.text("back"))
        self.submit.setText(m.text("checkin_submit"))


class ClosedView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.hours_title = label("", "subheading", center=True)
        self.hours = label("", "big", center=True)
        self.text = label("", "subheading", center=True)
        for w in (self.title, self.hours_title, self.hours, self.text):
            lay.addWidget(w)
        lay.addStretch(1)

    def redraw(self) -> None:
        from kiosk.services import hours_lines

        m = self.m
        self.title.setText(m.text("closed_title"))
        self.hours_title.setText(m.text("closed_hours"))
        self.hours.setText("\n".join(hours_lines(m.entries)))
        self.text.setText(m.text("closed_text"))


class OfflineView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.text = label("", "big", center=True)
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        lay.addStretch(1)

    def redraw(self) -> None:
        self.title.setText(self.m.text("offline_title"))
        self.text.setText(self.m.text("offline_text"))
