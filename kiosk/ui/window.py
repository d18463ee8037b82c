"""The kiosk's window: a header (hall name, clock, elder mode, language), one view per screen,
and a footer with the idle countdown. It redraws what the router says changed, and scales
its style to the window's size (kiosk.ui.style.fit_for) so each screen fits any window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from kiosk.flow.router import Screen
from kiosk.model import KioskModel
from kiosk.ui import arrival, citizen, home, other
from kiosk.ui.style import Look, fit_for, margins, sheet, spacing
from kiosk.ui.widgets import button, label

VIEWS: dict[Screen, type[home.View]] = {
    Screen.HOME: home.HomeView,
    Screen.SEARCH: home.SearchView,
    Screen.PRIORITY: citizen.PriorityView,
    Screen.BUSY: citizen.BusyView,
    Screen.TICKET: citizen.TicketView,
    Screen.FAILED: citizen.FailedView,
    Screen.REFUSED: citizen.RefusedView,
    Screen.CHECKIN: citizen.CheckInView,
    Screen.ARRIVAL: arrival.ArrivalView,
    Screen.ARRIVED: arrival.ArrivedView,
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
        self.r = model.router
        self.look = Look()
        self.setWindowTitle("hall kiosk")
        self.outer = QVBoxLayout(self)
        header = QHBoxLayout()
        self.title = button("", "title", model.tech.title_tap, "title")
        self.clock = label("", "clock", wrap=False)
        self.elder = button("", "elder", model.access.toggle_elder, "header")
        self.lang = button("", "lang", model.access.toggle_language, "header")
        header.addWidget(self.title, 4)
        header.addWidget(self.clock, 0)
        header.addWidget(self.elder, 1)
        header.addWidget(self.lang, 1)
        self.outer.addLayout(header)
        self.stack = QStackedWidget()
        self.views: dict[Screen, home.View] = {}
        for screen, cls in VIEWS.items():
            view = cls(model, self.look)
            self.views[screen] = view
            view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            self.stack.addWidget(view)
        self.outer.addWidget(self.stack, 1)
        self.countdown = label("", "countdown", wrap=False)
        self.outer.addWidget(self.countdown)
        self._styled: tuple[bool, float] | None = None
        model.listen(self._on_change)
        self.timer = QTimer(self)
        self.timer.timeout.connect(model.tick)
        self.timer.start(tick_ms)
        self.installEventFilter(self)
        self.redraw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in TOUCH_EVENTS:
            self.r.touch()
        return False

    def view(self) -> home.View:
        return self.views[self.r.screen]

    def redraw(self) -> None:
        self._style()
        self._header()
        self._countdown()
        shown = self.views[self.r.screen]
        shown.redraw()  # before it asks for room: a stale screen never grows the window
        if self.stack.currentWidget() is not shown:
            for view in self.views.values():  # only the screen shown asks for room
                policy = (
                    QSizePolicy.Policy.Preferred if view is shown else QSizePolicy.Policy.Ignored
                )
                view.setSizePolicy(policy, policy)
            self.stack.setCurrentWidget(shown)

    def _on_change(self, aspects: frozenset[str]) -> None:
        if aspects <= {"clock", "countdown"}:
            self._header()
            self._countdown()
            return
        self.redraw()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._style()

    def _style(self) -> None:
        """The style sheet for elder mode or not, at the window's size factor."""
        fit = round(fit_for(max(1, self.width()), max(1, self.height())), 3)
        key = (self.r.elder, fit)
        if key == self._styled:
            return
        self._styled = key
        look = self.look
        look.scale, look.fit = self.r.scale(), fit
        look.landscape = self.width() >= self.height()
        self.setStyleSheet(sheet(look.scale, self.r.elder, fit))
        side, top = margins(fit)
        self.outer.setContentsMargins(side, top, side, top)
        gap = spacing(look.scale, fit)
        self.outer.setSpacing(gap)
        for view in self.views.values():
            layout = view.layout()
            if layout is not None:
                layout.setContentsMargins(0, 0, 0, 0)
                layout.setSpacing(gap)
            view.arrange()

    def _header(self) -> None:
        r = self.r
        self.title.setText(self.m.hall.hall_name or " ")
        self.clock.setText(r.local_now().strftime("%H:%M"))
        self.elder.setText(r.text("elder_off" if r.elder else "elder_on"))
        self.lang.setText(r.text("language"))

    def _countdown(self) -> None:
        n = self.r.countdown
        self.countdown.setText(self.r.text("countdown", s=n) if n is not None else "")
        self.countdown.setVisible(n is not None)
