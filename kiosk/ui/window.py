"""The kiosk's window: a header (hall name, clock, elder mode, language), one stacked view per
screen, and a footer with the idle countdown. It redraws what the model says changed."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk.model import KioskModel, Screen
from kiosk.ui import citizen, other
from kiosk.ui.style import sheet
from kiosk.ui.widgets import button, label, scrolling

VIEWS: dict[Screen, type[citizen.View]] = {
    Screen.HOME: citizen.HomeView,
    Screen.SEARCH: citizen.SearchView,
    Screen.PRIORITY: citizen.PriorityView,
    Screen.BUSY: citizen.BusyView,
    Screen.TICKET: citizen.TicketView,
    Screen.FAILED: citizen.FailedView,
    Screen.REFUSED: citizen.RefusedView,
    Screen.CHECKIN: citizen.CheckInView,
    Screen.CLOSED: citizen.ClosedView,
    Screen.OFFLINE: citizen.OfflineView,
    Screen.NEARBY: other.NearbyView,
    Screen.PIN: other.PinView,
    Screen.TECH: other.TechView,
}
TOUCH_EVENTS = (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)


class KioskWindow(QWidget):
    def __init__(self, model: KioskModel, *, tick_ms: int = 1000) -> None:
        super().__init__()
        self.m = model
        self.setWindowTitle("hall kiosk")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(32, 24, 32, 24)
        header = QHBoxLayout()
        self.title = button("", "title", model.tech.title_tap)
        self.clock = label("", "clock", wrap=False)
        self.elder = button("", "elder", model.toggle_elder)
        self.lang = button("", "lang", model.toggle_language)
        header.addWidget(self.title, 3)
        header.addWidget(self.clock, 1)
        header.addWidget(self.elder, 1)
        header.addWidget(self.lang, 1)
        lay.addLayout(header)
        self.stack = QStackedWidget()
        self.views: dict[Screen, citizen.View] = {}
        self.pages: dict[Screen, QWidget] = {}
        for screen, cls in VIEWS.items():
            view = cls(model)
            layout = view.layout()
            assert layout is not None
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(8)
            self.views[screen] = view
            self.pages[screen] = scrolling(view)  # elder mode's large text never clips
            self.stack.addWidget(self.pages[screen])
        lay.addWidget(self.stack, 1)
        self.countdown = label("", "countdown", wrap=False)
        lay.addWidget(self.countdown)
        self._contrast: bool | None = None
        model.listen(self._on_change)
        self.timer = QTimer(self)
        self.timer.timeout.connect(model.tick)
        self.timer.start(tick_ms)
        self.installEventFilter(self)
        self.redraw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in TOUCH_EVENTS:
            self.m.touch()
        return False

    def view(self) -> citizen.View:
        return self.views[self.m.screen]

    def redraw(self) -> None:
        self._style()
        self._header()
        self._countdown()
        self.stack.setCurrentWidget(self.pages[self.m.screen])
        self.view().redraw()

    def _on_change(self, aspects: frozenset[str]) -> None:
        if aspects <= {"clock", "countdown"}:
            self._header()
            self._countdown()
            return
        self.redraw()

    def _style(self) -> None:
        if self._contrast is self.m.elder:
            return
        self._contrast = self.m.elder
        self.setStyleSheet(sheet(self.m.scale(), self.m.elder))

    def _header(self) -> None:
        m = self.m
        self.title.setText(m.hall_name or " ")
        self.clock.setText(m.local_now().strftime("%H:%M"))
        self.elder.setText(m.text("elder_off" if m.elder else "elder_on"))
        self.lang.setText(m.text("language"))

    def _countdown(self) -> None:
        n = self.m.countdown
        self.countdown.setText(self.m.text("countdown", s=n) if n is not None else "")
        self.countdown.setVisible(n is not None)
