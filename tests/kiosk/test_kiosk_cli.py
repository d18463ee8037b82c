"""`hall kiosk`: clear errors for bad settings; a real process on Mosquitto, stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock

pytestmark = pytest.mark.timeout(60)
HALL = [sys.executable, "-m", "appliance"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def kiosk_config(hall: LocalHall, folder: Path, extra: str = "") -> Path:
    text = hall.config_path.read_text(encoding="utf-8")
    text = text.replace("port = 1883", f"port = {hall.port or 1}")
    text = text.replace('catalog = "catalog.json"', f'catalog = "{hall.cfg.catalog_path}"')
    text += f'\n[kiosk]\nstate_dir = "{folder / "state"}"\n{extra}'
    text += '[kiosk.speech]\nengine = "none"\n'
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_config_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [*HALL, "kiosk", "--config", str(tmp_path / "nope.toml")], capture_output=True, text=True
    )
    assert done.returncode == 2 and "no such config file" in done.stderr


def test_bad_city_key_stops_start_up(hall: LocalHall, tmp_path: Path) -> None:
    path = kiosk_config(hall, tmp_path, 'city_public_key = "not-a-key"\n')
    done = subprocess.run(
        [*HALL, "kiosk", "--config", str(path), "--windowed"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert done.returncode == 2
    assert "config error" in done.stderr and "city public key" in done.stderr


def test_unknown_setting_is_named(hall: LocalHall, tmp_path: Path) -> None:
    path = kiosk_config(hall, tmp_path, "idle_secs = 5\n")
    done = subprocess.run([*HALL, "kiosk", "--config", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and "kiosk.idle_secs" in done.stderr


def test_runs_on_mosquitto_and_stops_cleanly(tmp_path: Path, clock: FixedClock) -> None:
    with LocalHall(tmp_path / "hub", transport="mqtt", clock=clock) as hall:
        seen: list[str] = []
        watch = hall.bus("watch", "tool")
        watch.subscribe(
            "hall/v1/presence/kiosk-1", lambda m: seen.append(str(m.payload.get("status")))
        )
        path = kiosk_config(hall, tmp_path)
        proc = subprocess.Popen(
            [*HALL, "-v", "kiosk", "--config", str(path), "--windowed", "--printer", "sim"],
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                if "kiosk ready in" in line:
                    break
            else:
                pytest.fail(f"kiosk ended without being ready (code {proc.wait()})")
            # keep reading its log so it never blocks on a full pipe while stopping
            drain = threading.Thread(target=proc.stderr.read, daemon=True)
            drain.start()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        end = time.monotonic() + 5
        while seen[-1:] != ["down"] and time.monotonic() < end:
            time.sleep(0.05)
        assert seen[0] == "up" and seen[-1] == "down"
