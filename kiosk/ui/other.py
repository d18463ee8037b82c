"""The 智能导航 screen and the technician's screens (PIN, status and tests)."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk import navigation, present
from kiosk.model import KioskModel
from kiosk.ui.citizen import KeypadView
from kiosk.ui.home import View
from kiosk.ui.style import Look
from kiosk.ui.widgets import (
    Columns,
    Keypad,
    TextButton,
    button,
    clear_layout,
    discard,
    label,
    scrolling,
    set_active,
)

MAX_ROWS = 6


class NearbyView(View):
    """The service chooser, the ranking modes, the status and the halls in one scrolling
    column under a fixed heading and 返回首页: long names in large type (elder mode, English)
    wrap and scroll on a small screen instead of being squeezed."""

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.title = label("", "heading")
        lay.addWidget(self.title)
        self.body = QWidget()
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.services_grid = QGridLayout()
        self.service_columns = Columns(self.services_grid, most=4)
        self.column.addLayout(self.services_grid)
        self.service_buttons: dict[str, TextButton] = {}
        self._codes: list[str] = []
        modes = QHBoxLayout()
        self.modes: dict[str, TextButton] = {}
        for mode in navigation.MODES:
            b = button("", f"nearby-mode-{mode}", partial(model.nearby.set_mode, mode), "tab")
            self.modes[mode] = b
            modes.addWidget(b)
        self.column.addLayout(modes)
        self.status = label("", "subheading")
        self.column.addWidget(self.status)
        self.rows_box = QVBoxLayout()
        self.column.addLayout(self.rows_box)
        self.column.addStretch(1)
        self.area = scrolling(self.body)
        lay.addWidget(self.area, 1)
        self.back = button("", "back", model.home)
        lay.addWidget(self.back)

    def arrange(self) -> None:
        outer = self.layout()
        if outer is not None:
            self.column.setSpacing(outer.spacing())  # the grid and rows inherit it
        if self.service_buttons:
            # a name may take two lines; the bar's room is kept whether it shows or not
            cell = max(b.width_for_lines(2) for b in self.service_buttons.values())
            bar = self.area.verticalScrollBar().sizeHint().width()
            width = (self.area.width() or self.look.px(1800)) - bar
            self.service_columns.place(width, cell)

    def _services(self, codes: list[str]) -> None:
        m = self.m
        for b in self.service_buttons.values():
            discard(b)
        self.service_buttons = {}
        for code in codes:
            b = button("", f"nearby-service-{code}", partial(m.nearby.set_service, code), "tab")
            b.setParent(self.body)  # styled as shown, so it is measured in its own font
            self.service_buttons[code] = b
        self._codes = codes
        self.service_columns.set(list(self.service_buttons.values()))

    def redraw(self) -> None:
        m, r = self.m, self.r
        self.title.setText(r.text("nearby_title"))
        data = m.nearby.has_data()
        codes = m.nearby.service_codes() if data else []
        if codes != self._codes:
            self._services(codes)
        for code, b in self.service_buttons.items():
            entry = m.hall.entry(code)
            b.setText(present.service_name(r, entry) if entry else code)
            set_active(b, code == m.nearby.service)
        for mode, b in self.modes.items():
            b.setText(r.text(f"nearby_{mode}"))
            set_active(b, mode == m.nearby.mode)
            b.setVisible(data)
        found = m.nearby.rows()
        self.status.setText(present.nearby_status(r, m.hall, bool(found)))
        clear_layout(self.rows_box)
        for i, row in enumerate(found[:MAX_ROWS]):
            self.rows_box.addWidget(self._row(*present.nearby_row(r, i, row)))
        self.back.setText(r.text("home"))
        self.arrange()

    @staticmethod
    def _row(name: str, detail: str, reason: str) -> QFrame:
        frame = QFrame()
        frame.setObjectName("row")
        box = QVBoxLayout(frame)
        box.addWidget(label(name, "big"))
        box.addWidget(label(detail))
        if reason:
            box.addWidget(label(reason, "subheading"))
        return frame

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange()


class PinView(KeypadView):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        tech = model.tech
        self.title = label("", "heading", center=True)
        self.entry = label("", "code", wrap=False, center=True)
        self.message = label("", "error", center=True)
        for w in (self.title, self.entry, self.message):
            self.left.addWidget(w)
        self.left.addStretch(1)
        self.back = button("", "back", model.home)
        self.left.addWidget(self.back)
        self.keypad = Keypad("pin", tech.pin_key)
        self.right.addWidget(self.keypad, 1)
        self.ok = button("", "pin-ok", tech.pin_submit, "primary")
        self.right.addWidget(self.ok)

    def redraw(self) -> None:
        r, tech = self.r, self.m.tech
        self.title.setText(r.text("pin_title"))
        self.entry.setText("●" * len(tech.gate.entry) or " ")
        self.message.setText(tech.pin_message)
        self.message.setVisible(bool(tech.pin_message))
        self.keypad.relabel({"delete": r.text("delete"), "clear": r.text("clear")})
        self.back.setText(r.text("back"))
        self.ok.setText(r.text("ok"))


class TechView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        tech = model.tech
        lay = QVBoxLayout(self)
        self.title = label("", "heading")
        self.printer = label("", "big")
        self.message = label("", "ok")
        for w in (self.title, self.printer, self.message):
            lay.addWidget(w)
        row = QHBoxLayout()
        self.refresh = button("", "tech-refresh", tech.refresh)
        self.test = button("", "tech-test-print", tech.test_print, "primary")
        row.addWidget(self.refresh)
        row.addWidget(self.test)
        lay.addLayout(row)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        self.voids = label("", "banner")
        inner.addWidget(self.voids)
        self.reprint_box = QHBoxLayout()
        self.reprint_buttons: list[TextButton] = []
        inner.addLayout(self.reprint_box)
        self.scan_title = label("", "subheading")
        self.scan = label("", "big")
        self.inputs = label("", "")
        self.versions = label("", "")
        for w in (self.scan_title, self.scan, self.inputs, self.versions):
            inner.addWidget(w)
        inner.addStretch(1)
        lay.addWidget(scrolling(body), 1)
        self.exit = button("", "tech-exit", model.home)
        lay.addWidget(self.exit)

    def redraw(self) -> None:
        m, r, tech = self.m, self.r, self.m.tech
        self.title.setText(f"{r.text('tech_title')} · {m.opt.kiosk_id}")
        self.printer.setText(r.text("tech_printer", state=tech.printer or "…"))
        self.message.setText(tech.message)
        self.message.setVisible(bool(tech.message))
        name = "ok" if tech.message_ok else "error"
        if self.message.objectName() != name:
            self.message.setObjectName(name)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.refresh.setText(r.text("tech_refresh"))
        self.test.setText(r.text("tech_test_print"))
        voids = present.voids_line(r, tech.voids())
        self.voids.setText(voids)
        self.voids.setVisible(bool(voids))
        for b in self.reprint_buttons:
            discard(b)
        self.reprint_buttons = []
        for entry in tech.reprints():
            b = button(
                r.text("tech_reprint", number=entry["number"]),
                f"tech-reprint-{entry['number']}",
                partial(tech.reprint, entry["ticket_id"]),
            )
            self.reprint_buttons.append(b)
            self.reprint_box.addWidget(b)
        self.scan_title.setText(r.text("tech_scanner"))
        self.scan.setText(tech.scan or "—")
        self.inputs.setText(present.inputs_line(r, tech.inputs))
        self.versions.setText(present.versions_line(r))
        self.exit.setText(r.text("tech_exit"))
