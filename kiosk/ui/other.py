"""The 智能导航 screen and the technician's screens (PIN, status and tests)."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk import navigation
from kiosk.model import KioskModel
from kiosk.ui.citizen import View
from kiosk.ui.widgets import Keypad, button, discard, label, set_active

MAX_ROWS = 6


class NearbyView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading")
        lay.addWidget(self.title)
        self.services_box = QHBoxLayout()
        lay.addLayout(self.services_box)
        self.service_buttons: dict[str, QPushButton] = {}
        self._codes: list[str] = []
        modes = QHBoxLayout()
        self.modes: dict[str, QPushButton] = {}
        for mode in navigation.MODES:
            b = button("", f"nearby-mode-{mode}", partial(model.set_nearby_mode, mode), "tab")
            self.modes[mode] = b
            modes.addWidget(b)
        lay.addLayout(modes)
        self.status = label("", "subheading")
        lay.addWidget(self.status)
        self.rows_box = QVBoxLayout()
        self.rows: list[QWidget] = []
        lay.addLayout(self.rows_box)
        lay.addStretch(1)
        self.back = button("", "back", model.home)
        lay.addWidget(self.back)

    def _service_codes(self) -> list[str]:
        m = self.m
        offered = navigation.services_offered(m.nearby or {})
        codes = [e.code for e in m.entries if e.code in offered]
        if m.nearby_service and m.nearby_service not in codes:
            codes.insert(0, m.nearby_service)
        return codes[:8]

    def redraw(self) -> None:
        m = self.m
        self.title.setText(m.text("nearby_title"))
        names = {e.code: e.name for e in m.entries}
        codes = self._service_codes()
        if codes != self._codes:
            for b in self.service_buttons.values():
                discard(b)
            self.service_buttons = {}
            for code in codes:
                b = button(
                    names.get(code, code),
                    f"nearby-service-{code}",
                    partial(m.set_nearby_service, code),
                    "tab",
                )
                self.service_buttons[code] = b
                self.services_box.addWidget(b)
            self._codes = codes
        for code, b in self.service_buttons.items():
            set_active(b, code == m.nearby_service)
        for mode, b in self.modes.items():
            b.setText(m.text(f"nearby_{mode}"))
            set_active(b, mode == m.nearby_mode)
        at = navigation.as_of(m.nearby or {}) or "—"
        online = bool((m.nearby or {}).get("online"))
        self.status.setText(m.text("nearby_at" if online else "nearby_offline", at=at))
        for row in self.rows:
            discard(row)
        self.rows = []
        found = m.nearby_rows()
        if not found:
            empty = label(m.text("nearby_none"), "big")
            self.rows.append(empty)
            self.rows_box.addWidget(empty)
        for i, r in enumerate(found[:MAX_ROWS]):
            frame = QFrame()
            frame.setObjectName("row")
            box = QVBoxLayout(frame)
            box.addWidget(label(f"{i + 1}. {r.name}", "big"))
            if r.waiting == 0:
                load = m.text("no_wait")
            else:
                load = (
                    m.text("waiting", n=r.waiting) if r.waiting is not None else m.text("est_none")
                )
                if r.est_wait_min is not None:
                    load += " · " + m.text("est_wait", m=r.est_wait_min)
            km = f"{r.distance_km:.1f}" if r.distance_km is not None else "—"
            box.addWidget(label(f"{r.address}  ·  " + m.text("nearby_row", km=km, load=load)))
            if r.reason and m.lang == "zh":
                box.addWidget(label(r.reason, "subheading"))
            self.rows.append(frame)
            self.rows_box.addWidget(frame)
        self.back.setText(m.text("home"))


class PinView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.title = label("", "heading", center=True)
        self.entry = label("", "code", center=True)
        self.message = label("", "error", center=True)
        for w in (self.title, self.entry, self.message):
            left.addWidget(w)
        left.addStretch(1)
        self.back = button("", "back", model.home)
        left.addWidget(self.back)
        right = QVBoxLayout()
        self.keypad = Keypad("pin", model.tech.pin_key)
        right.addWidget(self.keypad, 1)
        self.ok = button("", "pin-ok", model.tech.pin_submit, "primary")
        right.addWidget(self.ok)
        outer.addLayout(left, 1)
        outer.addLayout(right, 1)

    def redraw(self) -> None:
        m = self.m
        self.title.setText(m.text("pin_title"))
        self.entry.setText("●" * len(m.tech.gate.entry) or " ")
        self.message.setText(m.tech.pin_message)
        self.keypad.relabel({"delete": m.text("delete"), "clear": m.text("clear")})
        self.back.setText(m.text("back"))
        self.ok.setText(m.text("ok"))


class TechView(View):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        lay = QVBoxLayout(self)
        self.title = label("", "heading")
        self.printer = label("", "big")
        self.message = label("", "banner")
        self.scan_title = label("", "subheading")
        self.scan = label("", "big")
        self.inputs = label("", "")
        self.versions = label("", "")
        for w in (self.title, self.printer, self.message):
            lay.addWidget(w)
        row = QHBoxLayout()
        self.refresh = button("", "tech-refresh", model.tech.refresh)
        self.test = button("", "tech-test-print", model.tech.test_print, "primary")
        row.addWidget(self.refresh)
        row.addWidget(self.test)
        lay.addLayout(row)
        self.reprint_box = QHBoxLayout()
        self.reprint_buttons: list[QPushButton] = []
        lay.addLayout(self.reprint_box)
        for w in (self.scan_title, self.scan, self.inputs, self.versions):
            lay.addWidget(w)
        lay.addStretch(1)
        self.exit = button("", "tech-exit", model.home)
        lay.addWidget(self.exit)

    def redraw(self) -> None:
        m = self.m
        self.title.setText(f"{m.text('tech_title')} · {m.opt.kiosk_id}")
        self.printer.setText(f"{m.text('tech_printer')}: {m.tech.printer or '…'}")
        self.message.setText(m.tech.message)
        self.refresh.setText(m.text("tech_refresh"))
        self.test.setText(m.text("tech_test_print"))
        for b in self.reprint_buttons:
            discard(b)
        self.reprint_buttons = []
        for r in m.tech.reprints():
            b = button(
                m.text("tech_reprint", number=r["number"]),
                f"tech-reprint-{r['number']}",
                partial(m.tech.reprint, r["ticket_id"]),
            )
            self.reprint_buttons.append(b)
            self.reprint_box.addWidget(b)
        self.scan_title.setText(m.text("tech_scanner"))
        self.scan.setText(m.tech.scan or "—")
        inputs = [
            f"{name}: {state} {detail}".strip() for name, (state, detail) in m.tech.inputs.items()
        ]
        self.inputs.setText(f"{m.text('tech_inputs')}: " + ("; ".join(inputs) or "—"))
        versions = "  ".join(f"{k} {v}" for k, v in m.opt.versions)
        self.versions.setText(f"{m.text('tech_versions')}: {versions}")
        self.exit.setText(m.text("tech_exit"))
