"""The waiting-hall screen in Qt Widgets: draws a `display.model.Screen`, nothing more.

Thin on purpose: every text comes from the model's `Screen`, every size from
`display.layout.Metrics`. `show_screen(screen)` changes only the labels whose text or style
changed, so a tick that changes nothing costs nothing. The scrolling notice is the one
animated widget; the banner flashes by switching between two styles (`display.widgets`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from .layout import Metrics, Orientation, metrics
from .model import Screen, ServiceRow
from .widgets import ACCENT, BG, DIM, PANEL, Banner, Label, Marquee, PaintHook


class DisplayWindow(QWidget):
    """The whole screen. Build once per size: `resizeEvent` rebuilds for new metrics."""

    def __init__(self, orientation: Orientation, recent_calls: int = 8) -> None:
        super().__init__()
        self.setObjectName("display")
        self.setWindowTitle("叫号显示屏")
        self.setStyleSheet(f"QWidget#display {{ background: {BG}; }}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.orientation: Orientation = orientation
        self.recent_calls = recent_calls
        self.metrics = metrics(1920, 1080, "landscape")
        self.painted: PaintHook | None = None
        self._screen: Screen | None = None
        self._body: QWidget | None = None
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        self._build(self.metrics_for(self.width(), self.height()))

    def metrics_for(self, width: int, height: int) -> Metrics:
        return metrics(max(1, width), max(1, height), self.orientation, self.recent_calls)

    @property
    def service_rows(self) -> int:
        return self.metrics.service_rows

    # -- building -----------------------------------------------------------------------------

    def _build(self, m: Metrics) -> None:
        if self._body is not None:
            self._outer.removeWidget(self._body)
            self._body.deleteLater()
        self.metrics = m
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(m.margin, m.margin, m.margin, 0)
        col.setSpacing(m.margin)

        self.hall_name = Label(m.header_font, bold=True, fit=True)
        self.status = Label(m.status_font, color=DIM)
        self.date = Label(
            m.clock_font if m.orientation == "landscape" else m.status_font, color=DIM
        )
        self.time = Label(m.clock_font, bold=True)
        header = QHBoxLayout()
        header.addWidget(self.hall_name, 1)
        header.addWidget(self.status)
        header.addSpacing(m.margin)
        if m.orientation == "landscape":
            header.addWidget(self.date)
            header.addSpacing(m.margin)
            header.addWidget(self.time)
            col.addLayout(header)
        else:  # too narrow for one line: the date goes under the hall's name
            header.addWidget(self.time)
            col.addLayout(header)
            col.addWidget(self.date)
            col.setSpacing(m.margin)

        self.banner = Banner(m.banner_font, two_lines=m.orientation == "portrait")
        self.banner.painted = self._banner_painted
        self.banner.setFixedHeight(m.banner_height)
        col.addWidget(self.banner)

        recent_panel, self.recent_rows = self._recent_panel(m)
        services_panel = self._services_panel(m)
        panels = QHBoxLayout() if m.orientation == "landscape" else QVBoxLayout()
        panels.setSpacing(m.margin)
        panels.addWidget(recent_panel, 1)
        panels.addWidget(services_panel, 1 if m.orientation == "landscape" else 2)
        col.addLayout(panels, 1)

        self.counters = Label(m.footer_font, color=DIM, fit=True)
        col.addWidget(self.counters)
        self.notice = Marquee(m.notice_font, speed_px_s=160 * m.unit)
        self.notice.setFixedHeight(m.notice_height)
        col.addWidget(self.notice)

        self._outer.addWidget(body)
        self._body = body
        if self._screen is not None:
            screen, self._screen = self._screen, None
            self.show_screen(screen)

    def _panel(self, title: str, m: Metrics) -> tuple[QFrame, QVBoxLayout, Label]:
        frame = QFrame()
        frame.setStyleSheet(f"QFrame {{ background: {PANEL}; border-radius: 8px; }}")
        box = QVBoxLayout(frame)
        box.setContentsMargins(m.margin, m.margin // 2, m.margin, m.margin // 2)
        box.setSpacing(0)
        head = QHBoxLayout()
        heading = Label(m.section_font, bold=True, color=DIM)
        heading.set_text(title)
        side = Label(m.section_font, color=DIM)
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(side)
        box.addLayout(head)
        return frame, box, side

    def _recent_panel(self, m: Metrics) -> tuple[QFrame, list[tuple[Label, Label]]]:
        frame, box, _side = self._panel("最近叫号", m)
        rows = []
        for _ in range(m.recent_rows):
            line = QHBoxLayout()
            number = Label(m.recent_font, bold=True, color=ACCENT)
            place = Label(m.recent_font, fit=True)
            place.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            number.setFixedHeight(m.recent_row)
            line.addWidget(number)
            line.addWidget(place, 1)
            box.addLayout(line)
            rows.append((number, place))
        box.addStretch(1)
        return frame, rows

    def _services_panel(self, m: Metrics) -> QFrame:
        frame, box, self.page = self._panel("等候情况", m)
        grid = QGridLayout()
        grid.setHorizontalSpacing(m.margin)
        grid.setVerticalSpacing(0)
        self.service_rows_labels: list[tuple[Label, Label, Label, Label]] = []
        for row in range(m.service_rows):
            name = Label(m.service_font, fit=True)
            waiting = Label(m.service_font, bold=True, color=ACCENT)
            on_the_way = Label(m.footer_font, color=DIM)
            estimate = Label(m.service_font, color=DIM)
            name.setFixedHeight(m.service_row)
            waiting.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(name, row, 0)
            grid.addWidget(waiting, row, 1)
            grid.addWidget(on_the_way, row, 2)
            grid.addWidget(estimate, row, 3)
            self.service_rows_labels.append((name, waiting, on_the_way, estimate))
        grid.setColumnStretch(0, 1)
        box.addLayout(grid)
        box.addStretch(1)
        return frame

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        size = event.size()
        wanted = self.metrics_for(size.width(), size.height())
        if (wanted.width, wanted.height) != (self.metrics.width, self.metrics.height):
            self._build(wanted)

    # -- drawing ------------------------------------------------------------------------------

    def show_screen(self, screen: Screen) -> None:
        """Show `screen`; labels that did not change are left alone."""
        if screen == self._screen:
            return
        self._screen = screen
        self.hall_name.set_text(screen.hall_name)
        self.status.set_text(screen.status_text)
        self.date.set_text(screen.date_text)
        self.time.set_text(screen.time_text)
        self.banner.show_call(screen.current, screen.flash_on, screen.idle_text)
        for index, (number, place) in enumerate(self.recent_rows):
            call = screen.recent[index] if index < len(screen.recent) else None
            number.set_text(call.number if call else "")
            place.set_text((call.place + (" 重呼" if call.recall else "")) if call else "")
        for index, labels in enumerate(self.service_rows_labels):
            row = screen.services[index] if index < len(screen.services) else None
            _service_row(labels, row)
        self.page.set_text(screen.page_text or (f"共 {screen.waiting_total} 人等候"))
        self.counters.set_text(screen.counters_text)
        self.notice.set_notice(screen.notice)

    def texts(self) -> dict[str, object]:
        """What the labels say now (for tests and the demo's checks)."""
        return {
            "hall_name": self.hall_name.full,
            "status": self.status.full,
            "date": self.date.full,
            "time": self.time.full,
            "banner": self.banner.plain,
            "recent": [f"{n.full} {p.full}".strip() for n, p in self.recent_rows if n.full],
            "services": [
                " ".join(label.full for label in labels if label.full)
                for labels in self.service_rows_labels
                if labels[0].full
            ],
            "counters": self.counters.full,
            "notice": self.notice.text,
        }

    def _banner_painted(self, key: str) -> None:
        if self.painted is not None:
            self.painted(key)


def _service_row(labels: tuple[Label, Label, Label, Label], row: ServiceRow | None) -> None:
    name, waiting, on_the_way, estimate = labels
    name.set_text(row.name if row else "")
    waiting.set_text(f"{row.waiting} 人" if row else "")
    on_the_way.set_text(row.on_the_way_text if row else "")
    estimate.set_text(row.estimate if row else "")
