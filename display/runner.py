"""Running the display as its own process (systemd unit `hall-display`): bus, Qt, signals."""

from __future__ import annotations

import logging
import signal
from typing import Any

from hall.bus.interface import Bus, BusError, LastMessage
from hall.settings import ConfigError

from .layout import Orientation

_log = logging.getLogger(__name__)

WINDOW = {"landscape": (1280, 720), "portrait": (720, 1280)}


def run(cfg: Any, *, windowed: bool = False, orientation: Orientation | None = None) -> int:
    """Show the display until SIGTERM/SIGINT or the window is closed; the exit code."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from hall.bus.mqtt import hall_bus
    from hall.hubapi.client import presence

    from .app import make_app

    section = cfg.display
    app = QApplication.instance() or QApplication(["hall-display"])
    birth, will = presence(section.id, "display")
    # no birth from the bus itself: presence "up" is published once the display listens
    bus = hall_bus(cfg, section.id, will=will)
    try:
        display = make_app(bus, cfg, orientation=orientation)
    except ValueError as exc:  # a voice pack folder that is not there, an unknown engine
        bus.close()
        raise ConfigError(f"{cfg.source}: display.speech: {exc}") from None
    window = display.window
    if windowed:
        window.resize(*WINDOW[window.orientation])
        window.show()
    else:
        QApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint)  # no title bar, no close button
        window.showFullScreen()
    display.start()
    announce_presence(bus, birth)
    _log.info("display %s on the hall bus %s:%d", section.id, cfg.bus.host, cfg.bus.port)

    def stop(signum: int, _frame: object) -> None:
        _log.info("display stopping (signal %d)", signum)
        app.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from hall import heap
    from hall import sdnotify as notify

    # The GUI thread beats the heartbeat: a wedged event loop stops feeding the watchdog.
    beat = notify.Heartbeat(max_age=notify.age_limit(20.0))  # GUI timer: every 0.25 s
    wake = QTimer()  # lets Python run its signal handlers while Qt's loop waits
    wake.start(250)
    wake.timeout.connect(beat.beat)

    def shown() -> None:  # the window is up: start-up is over
        heap.settle()
        notify.ready(f"display {section.id}: shown")

    QTimer.singleShot(0, shown)
    watchdog = notify.Watchdog(beat)
    watchdog.start()
    try:
        code = app.exec()
    finally:
        notify.stopping("display: stopping")
        watchdog.stop()
        display.close()
        bus.close()
    return int(code)


def announce_presence(bus: Bus, birth: LastMessage) -> None:
    """Publish `birth` now (if connected) and on every reconnect, after the subscriptions:
    so "up" on the hall bus means the display is listening for calls."""

    def publish(up: bool) -> None:
        if not up:
            return
        try:
            bus.publish(birth.topic, dict(birth.payload), retain=birth.retain)
        except BusError as exc:
            _log.warning("presence not published: %s", exc)

    bus.on_connection(publish)
    if bus.is_connected:
        publish(True)
