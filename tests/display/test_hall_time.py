"""The display shows the hall's time and, from the hub's catalog, when the hall is closed;
the desktop demo's display shows the simulated day's time, not this box's clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from appliance.local import LocalHall
from display.app import make_app
from tests.conftest import at

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 20_000  # a wait ends when its condition holds: the bound only ends a broken test


def test_after_closing_the_display_says_the_day_is_over(hall: LocalHall, qtbot: QtBot) -> None:
    """The sample hall at 18:05, nobody signed in: the catalog's hours end at 17:00."""
    evening = datetime.fromtimestamp(at("18:05"), hall.cfg.tz)
    app = make_app(hall.bus("display-1", "display"), hall.cfg, now=lambda: evening)
    qtbot.addWidget(app.window)
    app.window.resize(1280, 1024)
    app.window.show()
    app.start()
    try:
        qtbot.waitUntil(lambda: app.window.texts()["banner"] == "今日办理已结束", timeout=WAIT_MS)
        assert app.window.texts()["counters"] == ""
        assert app.window.texts()["time"] == "18:05"
    finally:
        app.close()


def test_in_the_morning_closed_counters_are_listed(hall: LocalHall, qtbot: QtBot) -> None:
    morning = datetime.fromtimestamp(at("10:00"), hall.cfg.tz)
    app = make_app(hall.bus("display-1", "display"), hall.cfg, now=lambda: morning)
    qtbot.addWidget(app.window)
    app.start()
    try:
        qtbot.waitUntil(
            lambda: app.window.texts()["counters"].startswith("未开放："), timeout=WAIT_MS
        )
        assert app.window.texts()["banner"] == "请留意叫号信息，过号请到服务台咨询"
    finally:
        app.close()


DESKTOP = """
import json, sys
from datetime import date
import appliance.sim.demo as sim_demo
import display.app as display_app
from appliance.sim import desktop

sim_demo.next_weekday = lambda _today: date(2031, 3, 3)  # a Monday, surely not today
made = []
real_make_app = display_app.make_app

def spying_make_app(*args, **kwargs):
    made.append(real_make_app(*args, **kwargs))
    return made[-1]

display_app.make_app = spying_make_app
code = desktop.run_desktop(
    sys.argv[1], seconds=120, until_tickets=1, speed=600, echo=lambda _line: None
)
print(json.dumps({"code": code, "texts": [app.window.texts() for app in made]}))
"""


def test_the_desktop_demo_display_shows_the_simulated_time(tmp_path: Path) -> None:
    """In a process of its own: the demo's Qt application quits when its windows close."""
    done = subprocess.run(
        [sys.executable, "-c", DESKTOP, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    (texts,) = result["texts"]
    assert texts["date"] == "2031年3月3日 星期一"  # the simulated day, not today
    hh, mm = map(int, str(texts["time"]).split(":"))
    assert (8, 50) <= (hh, mm) <= (10, 0)  # from 08:50 to the first ticket, after 09:00
