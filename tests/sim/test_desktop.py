"""`hall demo` on a desktop: kiosk and display windows beside a paced day (offscreen here)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from appliance.sim import desktop


def test_windows_and_a_paced_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    lines: list[str] = []
    # Until the simulated citizens have taken 3 tickets (about 2 s at 600×): a bound of
    # wall time alone fails on a busy box; 120 s is only there so that a broken day ends.
    code = desktop.run_desktop(tmp_path, seconds=120, until_tickets=3, speed=600, echo=lines.append)
    assert code == 0
    conn = sqlite3.connect(tmp_path / "hall.db")
    try:
        kinds = dict(conn.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall())
    finally:
        conn.close()
    assert kinds.get("staff.login", 0) > 0 and kinds.get("ticket.issued", 0) >= 3
    assert "kiosk window" in lines[0]


def test_no_desktop_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(desktop.NoDesktop, match="--headless"):
        desktop.run_desktop(tmp_path)
