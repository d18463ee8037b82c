"""The demo hook: the real kiosk offscreen through its flows, screenshots and tickets out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from appliance.local import LocalHall
from drivers.printer.decode import QrCode, decode, texts
from hall.core.timekeeping import FixedClock
from kiosk.demo import capture
from kiosk.demo_driver import CaptureFailed
from tests.kiosk.conftest import db_rows, device_states, ticket_states

pytestmark = pytest.mark.timeout(300)  # about 30 s on an idle box, 90 s on a busy one


SCREENS = (
    "home",
    "priority",
    "ticket",
    "search",
    "home-english",
    "checkin",
    "checkin-refused",
    "checked-in-qr",
    "arrived-qr",
    "arrival",
    "arrival-not-yours",
    "arrived-typed",
    "busy",
    "print-failed",
    "home-paused",
    "nearby-empty",
    "nearby",
    "closed",
    "offline",
    "pin",
    "technician",
)


def test_capture(qtbot: Any, hall: LocalHall, clock: FixedClock, tmp_path: Path) -> None:
    paths = capture(tmp_path / "out", hall.bus, hall.cfg, clock=clock.wall, city=hall.city)
    screens = {p.name for p in paths if p.parent.name == "screens"}
    for name in SCREENS:  # every screen, in the standard and the elder mode
        assert f"kiosk-{name}.png" in screens, name
        assert f"kiosk-{name}-elder.png" in screens, name
    tickets = sorted(p for p in paths if p.parent.name == "tickets")
    pngs = [p for p in tickets if p.suffix == ".png"]
    bins = [p for p in tickets if p.suffix == ".bin"]
    assert [p.stem for p in pngs] == [p.stem for p in bins]
    assert [p.stem for p in pngs][:3] == ["001-A001", "002-B001", "003-A002"]
    lines = texts(decode(bins[0].read_bytes()))
    assert "A001" in lines and "湛河区政务服务中心" in lines and "前面没有人等候" in lines
    page = texts(decode(bins[-1].read_bytes()))  # the technician's test page, last
    assert bins[-1].stem.endswith("-page") and "测试样张" in page
    assert not any(isinstance(e, QrCode) for e in decode(bins[-1].read_bytes()))
    states = ticket_states(hall)
    assert states["A001"] == "waiting" and "cancelled" in states.values()  # the failed print
    arrived = db_rows(hall, "SELECT data FROM events WHERE type = 'ticket.arrived'")
    hows = sorted(json.loads(data)["how"] for (data,) in arrived)
    assert hows == ["kiosk", "scan"]  # the phone tickets: one scanned, one typed
    assert device_states(hall)["kiosk-1/printer"] == (1, "ok")  # well again after the faults


def test_capture_without_a_clock_leaves_hours_to_the_hub(
    qtbot: Any, hall: LocalHall, tmp_path: Path
) -> None:
    """Without the hub's clock the kiosk checks no opening hours itself: the hub (open at its
    09:30) issues the first ticket whatever the box's time. The booking the demo signs is for
    the box's day, not the hub's (2026-11-27): the hub refuses its check-in, and the capture
    says so instead of returning without that screen."""
    with pytest.raises(CaptureFailed, match="appointment_not_today"):
        capture(tmp_path / "out", hall.bus, hall.cfg, city=hall.city)
    assert (tmp_path / "out" / "screens" / "kiosk-ticket.png").stat().st_size > 10_000
