"""The home screen (tabs, service tiles, 暂停取号 while the printer is down) and search."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk import present
from kiosk.model import KioskModel
from kiosk.services import ServiceEntry
from kiosk.ui.style import Look
from kiosk.ui.widgets import (
    Columns,
    LetterKeyboard,
    Text,
    TextButton,
    button,
    discard,
    label,
    scrolling,
    set_active,
)


class View(QWidget):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__()
        self.m = model
        self.r = model.router
        self.look = look

    def redraw(self) -> None:
        raise NotImplementedError

    def arrange(self) -> None:
        """The window's size or orientation changed (``self.look``)."""


class ServiceGrid(QWidget):
    """Service tiles in as many columns as fit; tiles are kept and relabelled while the
    service list stays the same, so a board update never deletes a button under a finger."""

    TILE_PX = 420  # narrowest tile at scale 1 on the design screen

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__()
        self.m = model
        self.look = look
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.columns = Columns(self.grid, most=4)
        self.tiles: dict[str, TextButton] = {}
        self._codes: list[str] = []
        self.area = scrolling(self)

    def show_entries(self, entries: list[ServiceEntry], enabled: bool = True) -> None:
        m = self.m
        codes = [e.code for e in entries]
        if codes != self._codes:
            for tile in self.tiles.values():
                discard(tile)
            self.tiles = {}
            for e in entries:
                tile = TextButton(
                    f"service-{e.code}", partial(m.tickets.pick_service, e.code), "service"
                )
                tile.add_detail()
                self.tiles[e.code] = tile
            self._codes = codes
            self.columns.set(list(self.tiles.values()))
        self.place()
        for e in entries:
            tile = self.tiles[e.code]
            tile.set_texts(
                present.service_name(m.router, e), present.tile_detail(m.router, m.hall, e)
            )
            tile.setEnabled(enabled)

    def place(self) -> None:
        width = self.area.viewport().width() or self.area.width()
        self.columns.place(width, self.look.px(self.TILE_PX))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.place()


class HomeView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        t = model.tickets
        lay = QVBoxLayout(self)
        self.heading = label("", "heading")
        self.paused_title = label("", "paused")
        self.paused_text = label("", "big")
        self.note = label("", "banner")
        for w in (self.heading, self.paused_title, self.paused_text, self.note):
            lay.addWidget(w)
        self.tabs_grid = QGridLayout()
        self.tab_columns = Columns(self.tabs_grid, most=7)
        lay.addLayout(self.tabs_grid)
        self.tabs: dict[str, TextButton] = {}
        self._tab_names: list[str] = []
        self.grid = ServiceGrid(model, look)
        lay.addWidget(self.grid.area, 1)
        bottom = QHBoxLayout()
        self.search = button("", "open-search", t.open_search)
        self.checkin = button("", "open-checkin", model.checkin.open, "primary")
        self.nearby = button("", "open-nearby", lambda: model.nearby.open())
        for b in (self.search, self.checkin, self.nearby):
            bottom.addWidget(b)
        lay.addLayout(bottom)

    def _make_tabs(self, names: list[str]) -> None:
        for b in self.tabs.values():
            discard(b)
        self.tabs = {
            name: button(
                "",
                f"category-{name or 'all'}",
                partial(self.m.tickets.pick_category, name or None),
                "tab",
            )
            for name in names
        }
        self._tab_names = names
        self.tab_columns.set(list(self.tabs.values()))

    def arrange(self) -> None:
        if self.tabs:
            widest = max(b.sizeHint().width() for b in self.tabs.values())
            self.tab_columns.place(self.width() or self.look.px(1800), widest)
        self.grid.place()

    def redraw(self) -> None:
        m, r = self.m, self.r
        paused = present.paused(r, m.printer.paused)
        self.heading.setText(r.text("choose_service"))
        self.heading.setVisible(paused is None)
        self.paused_title.setText(paused[0] if paused else "")
        self.paused_text.setText(paused[1] if paused else "")
        self.paused_title.setVisible(paused is not None)
        self.paused_text.setVisible(paused is not None)
        note = r.text("stale") if not m.hall.entries else present.names_note(r, m.hall.entries)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        names = ["", *dict.fromkeys(e.category for e in m.hall.entries if e.category)]
        if names != self._tab_names:
            self._make_tabs(names)
        for name, b in self.tabs.items():
            b.setText(present.category(r, name))
            set_active(b, (m.tickets.category or "") == name)
            b.setVisible(not r.elder)  # elder mode: one list in large type, no categories
        self.grid.show_entries(m.tickets.home_entries(), enabled=paused is None)
        self.search.setText(r.text("search"))
        self.search.setEnabled(paused is None)
        self.checkin.setText(r.text("check_in"))
        # check-in stays open: a phone ticket's arrival prints nothing (an appointment's
        # check-in says the printer is down when it comes to printing)
        self.nearby.setText(r.text("nearby"))
        self.nearby.setVisible(m.opt.navigation)
        self.arrange()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange()


class SearchView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.hint = label("", "subheading")
        self.query = Text("query", wrap=False, center=True)
        self.none = label("", "banner")
        self.grid = ServiceGrid(model, look)
        self.keyboard = LetterKeyboard(model.tickets.search_key)
        self.back = button("", "back", model.home)
        for w in (self.hint, self.query, self.none):
            lay.addWidget(w)
        lay.addWidget(self.grid.area, 1)
        lay.addWidget(self.keyboard)
        lay.addWidget(self.back)

    def arrange(self) -> None:
        self.grid.place()

    def redraw(self) -> None:
        m, r = self.m, self.r
        self.hint.setText(r.text("search_hint"))
        self.query.setText(m.tickets.query or r.text("search_empty"))
        self.query.setEnabled(bool(m.tickets.query))
        found = m.tickets.found()
        self.none.setText("" if found else r.text("search_none"))
        self.none.setVisible(not found)
        self.grid.show_entries(found, enabled=m.printer.paused is None)
        self.keyboard.buttons["delete"].setText(r.text("delete"))
        self.keyboard.buttons["clear"].setText(r.text("clear"))
        self.back.setText(r.text("home"))
