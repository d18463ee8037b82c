"""The kiosk process: Qt, the hall bus over MQTT, the window full screen, clean stops.

SIGTERM and SIGINT stop it cleanly (presence "down"); a crash or SIGKILL leaves the will
("lost") and the print journal, which the next start recovers (kiosk/journal.py).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from hall import __version__
from kiosk.settings import KioskConfig

log = logging.getLogger(__name__)


def run_kiosk(cfg: KioskConfig, *, windowed: bool = False, printer_kind: str | None = None) -> int:
    started = time.monotonic()
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from drivers.printer import PrinterConfigError
    from hall.bus.mqtt import hall_bus
    from hall.hubapi import protocol as p
    from hall.hubapi.client import presence
    from kiosk.runtime import StartupError
    from kiosk.ui.app import start_kiosk

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    birth, will = presence(cfg.kiosk.id, "kiosk", version=__version__, pid=os.getpid())
    bus = hall_bus(cfg, cfg.kiosk.id, birth=birth, will=will)
    try:
        kiosk = start_kiosk(cfg, bus, printer_kind=printer_kind)
    except PrinterConfigError as exc:
        bus.close()
        raise StartupError(f"{cfg.source}: kiosk.printer: {exc}") from None
    except StartupError:
        bus.close()
        raise
    window = kiosk.window
    if windowed or not cfg.kiosk.fullscreen:
        window.resize(1280, 800)
        window.show()
    else:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)  # a touch screen shows no pointer
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint)  # no title bar, no close button
        window.showFullScreen()

    ready = False

    def check_ready(_aspects: frozenset[str]) -> None:
        nonlocal ready
        if not ready and kiosk.model.hall.link_up and kiosk.model.hall.entries:
            ready = True
            log.info("kiosk ready in %.2f s (%s)", time.monotonic() - started, cfg.kiosk.id)

    kiosk.model.listen(check_ready)

    def stop(signum: int, _frame: object) -> None:
        log.info("kiosk: signal %d, stopping", signum)
        app.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from hall import heap
    from hall import sdnotify as notify

    # The GUI thread beats the heartbeat: a wedged event loop stops feeding the watchdog.
    beat = notify.Heartbeat(max_age=notify.age_limit(20.0))  # GUI timer: every 0.2 s
    wake = QTimer()  # Python runs signal handlers only when it gets control back from Qt
    wake.timeout.connect(beat.beat)
    wake.start(200)

    def shown() -> None:  # the window is up: start-up is over
        heap.settle()
        notify.ready(f"kiosk {cfg.kiosk.id}: shown")

    QTimer.singleShot(0, shown)
    watchdog = notify.Watchdog(beat)
    watchdog.start()
    if not bus.is_connected:
        log.warning(
            "kiosk: the hall's Mosquitto at %s:%d does not answer yet; retrying",
            cfg.bus.host,
            cfg.bus.port,
        )
    code = app.exec()
    notify.stopping("kiosk: stopping")
    watchdog.stop()
    wake.stop()
    kiosk.close()
    try:
        bus.publish(
            p.presence_topic(cfg.kiosk.id), {**birth.payload, "status": "down"}, retain=True
        )
    except Exception as exc:  # the broker may be gone already
        log.info("kiosk: presence 'down' not sent: %s", exc)
    bus.close()
    return int(code)
