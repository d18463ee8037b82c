"""`hall display`: its own process on the hub's Mosquitto, stopped by SIGTERM like systemd does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock
from hall.hubapi import protocol as p
from hall.hubapi.client import StateCache

from .conftest import issue

RUN = "import sys; from appliance.cli.main import cli; cli.main(['display', *sys.argv[1:]], 'hall')"


def display_config(hall: LocalHall, folder: Path) -> Path:
    text = hall.config_path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {hall.port}", text)
    text = text.replace("[[counters]]", '[display.speech]\nplayer = "file"\n\n[[counters]]', 1)
    path = hall.config_path.with_name("display.toml")
    path.write_text(text, encoding="utf-8")
    return path


def test_hall_display_runs_on_mosquitto_and_stops_on_sigterm(
    tmp_path: Path, clock: FixedClock
) -> None:
    with LocalHall(tmp_path / "hall", transport="mqtt", clock=clock) as hall:
        path = display_config(hall, tmp_path)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN, "--config", str(path), "--windowed"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            roles = StateCache(hall.bus("watch", "tool"))
            end = time.monotonic() + 20
            while time.monotonic() < end:
                state = roles.get(p.ROLES) or {}
                if state.get("roles", {}).get("display-1", {}).get("status") == "up":
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the display never came up on the hall bus")
            _bus, pad = hall.connect("tool-1", "tool")  # issues and calls
            pad.execute("sign_in", {"counter": "9", "staff": "1009"})
            issue(hall, "HY-001")
            pad.execute("call_next", {"counter": "9"})
            spoken = path.parent / "announcements" / "001.txt"
            end = time.monotonic() + 20
            while not spoken.exists() and time.monotonic() < end:
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=10)
        assert spoken.exists(), err
        assert spoken.read_text(encoding="utf-8") == "请 J001 号到婚姻登记处办理\n"
        assert proc.returncode == 0, err


def test_a_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text('[hall]\nid = "410411-ZH01"\nname = "x"\n[display]\nlayout = "round"\n')
    result = CliRunner().invoke(cli, ["display", "--config", str(path)])
    assert result.exit_code == 2
    assert "display.layout" in result.output
