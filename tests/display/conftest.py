"""Fixtures of the display tests: a whole hall on the in-process bus, a staff member's pad."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock
from hall.hubapi.client import HallClient
from tests.conftest import at


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at("09:30"))


@pytest.fixture
def hall(tmp_path: Path, clock: FixedClock) -> Iterator[LocalHall]:
    # calls follow each other at once on the fixed clock: not double presses here
    with LocalHall(tmp_path / "hall", clock=clock, queue={"double_press_seconds": 0}) as made:
        yield made


@pytest.fixture
def pad(hall: LocalHall) -> HallClient:
    """Staff at counters 3 and 9 (婚姻登记处), signed in; a technician's tool issues too."""
    _bus, client = hall.connect("tool-1", "tool")
    for counter, staff in (("3", "1003"), ("9", "1009")):
        client.execute("sign_in", {"counter": counter, "staff": staff})
    return client


DOUBLE_PRESS_S = 5.0  # past [queue] double_press_seconds: a second call, not a bounce
_KIOSKS: weakref.WeakKeyDictionary[LocalHall, HallClient] = weakref.WeakKeyDictionary()


def issue(hall: LocalHall, *services: str) -> list[str]:
    """Tickets taken at the hall's kiosk (a pad may not issue: hub/authz.py)."""
    client = _KIOSKS.get(hall)
    if client is None:
        _bus, client = hall.connect("kiosk-1", "kiosk")
        _KIOSKS[hall] = client
    return [str(client.execute("issue", {"service": s})["number"]) for s in services]
