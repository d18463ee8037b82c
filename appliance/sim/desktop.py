"""`hall demo` on a desktop: the kiosk and the display in windows, beside a simulated day.

The hub runs in process on the hall bus; simulated citizens arrive and simulated staff call
them at `speed` × real time (a minute of the hall per second by default), and you can take
tickets yourself at the kiosk window. Printed tickets go to the demo folder as PNG files;
calls are announced through the configured player. Close a window (or Ctrl-C) to stop.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from appliance import config
from appliance.local import LocalHall
from appliance.sim.day import DayPlan, DaySimulation
from hall.core.timekeeping import FixedClock, at_local


class NoDesktop(RuntimeError):
    """No screen to open windows on."""


def has_desktop() -> bool:
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def run_desktop(
    out: Path,
    *,
    seed: int = 1,
    arrivals: int = 1500,
    speed: float = 60.0,
    seconds: float | None = None,
    until_tickets: int | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Open the windows and run until they are closed. For tests: until the simulated
    citizens have taken `until_tickets` tickets, or `seconds` pass (whichever comes first)."""
    if not has_desktop():
        raise NoDesktop(
            "no desktop here (neither DISPLAY nor WAYLAND_DISPLAY is set): "
            "run `hall demo --headless --out DIR` instead"
        )
    from hall.qt_platform import missing_packages

    if (problem := missing_packages()) is not None:  # before Qt aborts with its own words
        raise NoDesktop(problem)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from appliance.sim.demo import PAD_COUNTERS, BusPort, next_weekday, prepare
    from display.app import make_app
    from drivers.printer import SimulatedPrinter, get_profile
    from kiosk.ui.app import start_kiosk

    out = Path(out)
    cfg_path = prepare(out, arrivals)
    cfg = config.load(cfg_path)
    catalog, _raw = cfg.load_catalog()
    the_day: date = next_weekday(date.today())
    clock = FixedClock(at_local(the_day, "08:50", cfg.tz))
    app = QApplication.instance() or QApplication(["hall-demo"])
    stop = threading.Event()
    with LocalHall(out / "run", clock=clock, config_path=cfg_path, tick_seconds=1.0) as hall:
        display = make_app(  # the screen's clock shows the simulated hall's time
            hall.bus("display-1", "display"),
            hall.cfg,
            now=lambda: datetime.fromtimestamp(clock.wall(), cfg.tz),
        )
        display.window.resize(1280, 720)
        display.window.setWindowTitle(f"{cfg.hall.name} · 等候大厅")
        display.window.show()
        display.start()
        tickets = out / "tickets"
        tickets.mkdir(parents=True, exist_ok=True)
        printer = SimulatedPrinter(get_profile(cfg.kiosk.printer.profile), archive=tickets)
        kiosk = start_kiosk(
            hall.cfg,
            hall.bus(cfg.kiosk.id, "kiosk"),
            clock=clock.wall,
            simulator=printer,
            guide=None,
            state_dir=out / "run",
        )
        kiosk.window.resize(1080, 800)
        kiosk.window.setWindowTitle(f"{cfg.hall.name} · 取号机")
        kiosk.window.show()
        _bus, client = hall.connect("sim-hall", "tool", timeout=10.0)
        plan = DayPlan(
            day=the_day,
            tz=cfg.tz,
            arrivals=arrivals,
            seed=seed,
            counters={x.id: list(x.services) for x in cfg.counters if x.id not in PAD_COUNTERS},
        )
        sim = DaySimulation(BusPort(client), clock, catalog, plan)
        day = threading.Thread(
            target=lambda: sim.run(pace=speed, stop=stop), name="sim-day", daemon=True
        )
        day.start()
        echo(
            f"{cfg.hall.name}: the day runs at {speed:g}× real time; take a ticket at the "
            f"kiosk window; printed tickets go to {tickets}. Close a window to stop."
        )
        QApplication.setQuitOnLastWindowClosed(True)
        signal.signal(signal.SIGINT, lambda *_: app.quit())
        wake = QTimer()  # lets Python run its signal handlers while Qt waits
        if until_tickets is not None:
            wake.timeout.connect(lambda: sim.out.issued >= until_tickets and app.quit())
        else:
            wake.timeout.connect(lambda: None)
        wake.start(200)
        if seconds is not None:
            QTimer.singleShot(int(seconds * 1000), app.quit)
        code = app.exec()
        stop.set()
        day.join(10)
        kiosk.close()
        display.close()
    echo(f"stopped; the day's event log is in {out / 'hall.db'}")
    return int(code)
