"""The demo hook: the real kiosk offscreen through its flows, screenshots and tickets out."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from appliance.local import LocalHall
from drivers.printer.decode import decode, texts
from hall.core.timekeeping import FixedClock
from kiosk.demo import capture
from tests.kiosk.conftest import ticket_states

pytestmark = pytest.mark.timeout(120)


def test_capture(qtbot: Any, hall: LocalHall, clock: FixedClock, tmp_path: Path) -> None:
    started = time.monotonic()
    paths = capture(tmp_path / "out", hall.bus, hall.cfg, clock=clock.wall)
    took = time.monotonic() - started
    assert took < 20
    screens = {p.name for p in paths if p.parent.name == "screens"}
    for name in (
        "home",
        "priority",
        "ticket",
        "search",
        "home-elder",
        "ticket-elder",
        "home-english",
        "checkin",
        "checkin-refused",
        "checked-in-qr",
        "print-failed",
        "nearby",
        "closed",
        "offline",
        "technician",
    ):
        assert f"kiosk-{name}.png" in screens, name
    tickets = sorted(p for p in paths if p.parent.name == "tickets")
    pngs = [p for p in tickets if p.suffix == ".png"]
    bins = [p for p in tickets if p.suffix == ".bin"]
    assert [p.stem for p in pngs] == [p.stem for p in bins]
    assert [p.stem for p in pngs][:3] == ["001-A001", "002-B001", "003-A002"]
    lines = texts(decode(bins[0].read_bytes()))
    assert "A001" in lines and "湛河区政务服务中心" in "".join(lines)
    assert any(p.stem.endswith("A000") for p in pngs)  # the technician's test page
    states = ticket_states(hall)
    assert states["A001"] == "waiting" and "cancelled" in states.values()  # the failed print


def test_capture_without_a_clock_leaves_hours_to_the_hub(
    qtbot: Any, hall: LocalHall, tmp_path: Path
) -> None:
    paths = capture(tmp_path / "out", hall.bus, hall.cfg)
    assert (tmp_path / "out" / "screens" / "kiosk-ticket.png") in paths
