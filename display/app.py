"""The display role put together: bus feed → model → window, announcer and device reports.

`DisplayApp` lives on the Qt GUI thread. The feed's callbacks run on the bus thread and
reach the GUI thread through queued signals; the announcer has its own thread and the
device reporter its own, so nothing on the GUI thread ever waits on speech, audio or the hub.
A 100 ms tick redraws the clock, the flashing and the paging from the model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer, Signal

from drivers.speech import Announcer
from hall.bus.interface import Bus
from hall.hubapi.client import HallClient

from .calls import CallView
from .feed import DisplayFeed
from .health import DeviceReporter
from .layout import Orientation
from .model import DisplayModel
from .settings import DisplaySection
from .speech import NameWarmer
from .view import DisplayWindow

_log = logging.getLogger(__name__)

TICK_MS = 100


@dataclass(frozen=True)
class DisplayOptions:
    """What the app needs from the config, typed (see `DisplayOptions.from_config`)."""

    section: DisplaySection
    hall_name: str
    tz: ZoneInfo
    base: Path  # the config file's folder, for relative paths

    @classmethod
    def from_config(cls, cfg: Any) -> DisplayOptions:
        return cls(cfg.display, cfg.hall.name, cfg.tz, cfg.base)


class _Bridge(QObject):
    board = Signal(object)
    catalog = Signal(object)
    call = Signal(object, float)
    link = Signal(bool)


class DisplayApp:
    def __init__(
        self,
        bus: Bus,
        options: DisplayOptions,
        *,
        orientation: Orientation | None = None,
        announcer: Announcer | None = None,
        reporter: DeviceReporter | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        section = options.section
        self.options = options
        self.bus = bus
        self.announcer = announcer
        self.reporter = reporter
        self._now = now or (lambda: datetime.now(options.tz))
        self.model = DisplayModel(
            hall_name=options.hall_name,
            highlight_seconds=section.highlight_seconds,
            recent_calls=section.recent_calls,
            page_seconds=section.page_seconds,
            masked_names=section.show_masked_names,
        )
        self.window = DisplayWindow(orientation or section.layout, section.recent_calls)
        self.on_call_shown: Callable[[CallView], None] | None = None  # demo and tests hook
        self._bridge = _Bridge()
        self._bridge.board.connect(self._board)
        self._bridge.catalog.connect(self._catalog)
        self._bridge.call.connect(self._call)
        self._bridge.link.connect(self._link)
        self.feed = DisplayFeed(
            bus,
            on_board=self._bridge.board.emit,
            on_call=self._bridge.call.emit,
            on_link=self._bridge.link.emit,
            announcer=announcer,
            masked_names=section.show_masked_names,
            on_catalog=self._bridge.catalog.emit,
        )
        self._names = NameWarmer() if announcer is not None else None
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        if self.announcer is not None:
            self.announcer.start()
        self.feed.start()
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the model (the window skips what did not change)."""
        screen = self.model.screen(self._now(), time.monotonic(), self.window.service_rows)
        self.window.show_screen(screen)

    def close(self, drain_s: float = 0.0) -> None:
        """Stop; with `drain_s`, first give the announcer that long to finish its queue."""
        self._timer.stop()
        self.feed.close()
        if self.announcer is not None:
            if drain_s > 0:
                self.announcer.wait_idle(drain_s)
            self.announcer.stop(timeout=2.0)
        if self.reporter is not None:
            self.reporter.close()

    # -- on the GUI thread ----------------------------------------------------------------------

    def _board(self, board: dict[str, Any]) -> None:
        if self.model.apply_board(board):
            self.refresh()
            if self._names is not None:  # counter names' pinyin, read before they are called
                self._names.offer(str(c.get("name") or "") for c in board.get("counters", []))

    def _catalog(self, catalog: dict[str, Any]) -> None:
        self.model.apply_catalog(catalog)
        self.refresh()

    def _call(self, call: CallView, _received: float) -> None:
        self.model.show_call(call, time.monotonic())
        self.refresh()
        if self.on_call_shown is not None:
            self.on_call_shown(call)

    def _link(self, up: bool) -> None:
        if not up:
            _log.warning("hall bus link lost; showing the last state")
        self.model.set_link(up)
        self.refresh()


def make_app(
    bus: Bus,
    cfg: Any,
    *,
    orientation: Orientation | None = None,
    client: HallClient | None = None,
    now: Callable[[], datetime] | None = None,
    **announcer_opts: Any,
) -> DisplayApp:
    """A display app with the announcer and the device reporter the config asks for.
    `now`: the hall's time for the clock on the screen (the demo's simulated day), by
    default this box's clock in the hall's time zone; the announcer's quiet hours follow
    it too unless `clock` is given."""
    from .speech import build_announcer

    options = DisplayOptions.from_config(cfg)
    reporter = DeviceReporter(client or HallClient(bus), options.section.id)
    if now is not None:
        announcer_opts.setdefault("clock", now)
    announcer = build_announcer(
        options.section, options.base, options.tz, on_health=reporter.report, **announcer_opts
    )
    return DisplayApp(
        bus, options, orientation=orientation, announcer=announcer, reporter=reporter, now=now
    )
