"""Kiosk benchmark: touch on 取号 to the last byte at a TCP-simulated printer, start to ready,
resident memory. Not a test: it prints figures and one JSON line.

    .venv/bin/python bench/kiosk_latency.py [--tickets 200] [--starts 3]

The hub runs here (LocalHall over a private Mosquitto, hall time fixed at a weekday 09:30),
the printer is the product's simulator behind TCP (raw port, like a network printer). The
kiosk runs in child processes, as on the box:

- start to ready: `hall -v kiosk --config … --windowed --printer network` (offscreen) from
  process start to its "kiosk ready" line (hub state shown, link up); RSS read after ready.
- latency: a child runs the real kiosk code offscreen and clicks 普通取号 (the button that
  issues, after the service tile) `--tickets` times; the latency of each is the time from the
  click to the moment the simulator takes the ticket's cut (the last byte of the job), both
  on CLOCK_MONOTONIC, which is the same clock in every process. RSS after the run.

Targets (issue 4): p99 < 300 ms, ready < 3 s, RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICES = ("SB-001", "YB-001", "GJJ-001", "SW-001")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- the child that clicks ------------------------------------------------------------------


def child(config: str, tickets: int, out: str) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QPushButton

    from appliance import config as hall_config
    from hall.bus.mqtt import hall_bus
    from hall.hubapi.client import presence
    from kiosk.model import Screen
    from kiosk.ui.app import start_kiosk

    cfg = hall_config.load(config)
    app = QApplication([])
    birth, will = presence("kiosk-bench", "kiosk")
    bus = hall_bus(cfg, "kiosk-bench", birth=birth, will=will)  # as `hall kiosk` connects
    kiosk = start_kiosk(cfg, bus, guide=None, hours_check=False)
    kiosk.window.resize(1920, 1080)
    kiosk.window.show()
    model = kiosk.model

    def wait(cond: Any, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit(f"timed out on {model.screen}")
            app.processEvents()
            time.sleep(0.001)

    def visible(name: str) -> list[QPushButton]:
        return [b for b in kiosk.window.view().findChildren(QPushButton, name) if b.isVisible()]

    def click(name: str) -> None:
        wait(lambda: bool(visible(name)), 2.0)  # new tiles are shown from the event loop
        QTest.mouseClick(visible(name)[0], Qt.MouseButton.LeftButton)

    wait(lambda: model.hall.link_up and bool(model.hall.entries))
    touches: list[float] = []
    screens: list[float] = []
    for i in range(tickets):
        click(f"service-{SERVICES[i % len(SERVICES)]}")
        wait(lambda: model.screen is Screen.PRIORITY)
        app.processEvents()
        t0 = time.monotonic()
        click("priority-normal")
        wait(lambda: model.screen in (Screen.TICKET, Screen.FAILED, Screen.REFUSED))
        screens.append(time.monotonic() - t0)
        if model.screen is not Screen.TICKET:
            raise SystemExit(f"ticket {i}: {model.screen} {model.results.notice}")
        touches.append(t0)
        click("home")
        wait(lambda: model.screen is Screen.HOME)
    result = {"touches": touches, "to_screen": screens, "rss_mb": rss_mb(os.getpid())}
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    kiosk.close()
    bus.close()


# --- the parent: hub, printer, children ----------------------------------------------------


def write_config(hall: Any, port: int, printer_port: int, folder: Path) -> Path:
    text = hall.config_path.read_text(encoding="utf-8")
    text = text.replace("port = 1883", f"port = {port}")
    text = text.replace('catalog = "catalog.json"', f'catalog = "{hall.cfg.catalog_path}"')
    text = text.replace('database = "hall.db"', f'database = "{folder / "unused.db"}"')
    text += (
        f'\n[kiosk]\nid = "kiosk-bench"\nstate_dir = "{folder / "kiosk-state"}"\n'
        '[kiosk.speech]\nengine = "none"\n'
        f'[kiosk.printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {printer_port}\n'
    )
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def measure_start(config: Path, starts: int) -> tuple[list[float], list[float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    hall_cmd = [str(ROOT / ".venv/bin/hall")]
    readies, rss = [], []
    for _ in range(starts):
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [*hall_cmd, "-v", "kiosk", "--config", str(config), "--windowed"],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stderr is not None
        stuck = threading.Timer(60, proc.kill)  # a kiosk that never gets ready: say so
        stuck.start()
        try:
            for line in proc.stderr:
                if re.search(r"kiosk ready in", line):
                    readies.append(time.monotonic() - t0)
                    time.sleep(0.5)
                    rss.append(rss_mb(proc.pid))
                    break
            else:
                raise SystemExit(f"kiosk exited before ready (code {proc.wait()})")
        finally:
            stuck.cancel()
            proc.terminate()
            proc.wait(10)
    return readies, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("CONFIG", "TICKETS", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return

    from appliance.local import LocalHall
    from drivers.printer import SimulatedPrinter, SimulatorServer
    from hall.core.timekeeping import FixedClock, at_local

    class TimedPrinter(SimulatedPrinter):
        """Notes when each ticket's cut (its last byte) arrives."""

        cuts: ClassVar[list[float]] = []

        def _archive(self, end: int) -> None:
            self.cuts.append(time.monotonic())
            super()._archive(end)

    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    clock = FixedClock(at_local(date(2026, 11, 27), "09:30", ZoneInfo("Asia/Shanghai")))
    with (
        LocalHall(folder / "hub", transport="mqtt", clock=clock) as hall,
        SimulatorServer(TimedPrinter(), port=0) as server,
    ):
        assert hall.port is not None
        config = write_config(hall, hall.port, server.port, folder)
        hall.add_device("kiosk-bench", "kiosk")  # its own identity on the hall bus
        readies, start_rss = measure_start(config, args.starts)
        TimedPrinter.cuts.clear()
        out = folder / "child.json"
        subprocess.run(
            [sys.executable, __file__, "--child", str(config), str(args.tickets), str(out)],
            check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        result = json.loads(out.read_text(encoding="utf-8"))
    cuts = TimedPrinter.cuts
    touches = result["touches"]
    if len(cuts) != len(touches):
        raise SystemExit(f"{len(touches)} touches but {len(cuts)} tickets cut")
    ms = [(c - t) * 1000 for c, t in zip(cuts, touches, strict=True)]
    screen_ms = [s * 1000 for s in result["to_screen"]]
    figures = {
        "tickets": len(ms),
        "touch_to_last_byte_ms": {
            "p50": round(percentile(ms, 50), 1),
            "p99": round(percentile(ms, 99), 1),
            "max": round(max(ms), 1),
            "mean": round(statistics.fmean(ms), 1),
        },
        "touch_to_ticket_screen_ms_p50": round(percentile(screen_ms, 50), 1),
        "start_to_ready_s": [round(r, 2) for r in readies],
        "rss_mb_after_start": [round(r, 1) for r in start_rss],
        "rss_mb_after_tickets": round(result["rss_mb"], 1),
    }
    lat = figures["touch_to_last_byte_ms"]
    print(f"touch on 取号 → last byte at the printer ({len(ms)} tickets, TCP simulator, MQTT hub):")
    print(f"  p50 {lat['p50']} ms   p99 {lat['p99']} ms   max {lat['max']} ms  (target p99 < 300)")
    print(f"  touch → ticket screen p50 {figures['touch_to_ticket_screen_ms_p50']} ms")
    print(f"kiosk start to ready: {figures['start_to_ready_s']} s  (target < 3 s)")
    print(
        f"resident memory: {figures['rss_mb_after_start']} MB after start, "
        f"{figures['rss_mb_after_tickets']} MB after {len(ms)} tickets  (target < 200 MB)"
    )
    print(json.dumps({"bench": "kiosk_latency", **figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
