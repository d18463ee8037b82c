"""Shared fixtures: a hall's catalog and counters, an injected clock, stores on tmp files."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hall.core.engine import MemoryHall
from hall.core.rules import Rules
from hall.core.state import new_state
from hall.core.timekeeping import FixedClock, at_local
from hall.store.store import HallStore

TZ = ZoneInfo("Asia/Shanghai")
HALL_ID = "410411-ZH01"
DAY = date(2026, 11, 27)  # a Friday
ROOT = Path(__file__).resolve().parent.parent
CATALOG = json.loads((ROOT / "appliance/sim/data/catalog.json").read_text(encoding="utf-8"))

COUNTERS: list[dict[str, Any]] = [
    {"id": "1", "name": "", "services": ["SB-001", "SB-002"]},
    {"id": "2", "name": "", "services": ["SB-002", "SB-001"]},
    {"id": "3", "name": "", "services": ["YB-001", "YB-002"]},
    {"id": "9", "name": "婚姻登记处", "services": ["HY-001"]},
    {"id": "10", "name": "综合窗口", "services": ["ZX-001", "SB-001", "YB-001"]},
]


def at(hhmm: str, day: date = DAY) -> float:
    return at_local(day, hhmm, TZ)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at("09:05"))


def memory_hall(clock: FixedClock, rules: Rules | None = None) -> MemoryHall:
    from hall.core import commands as c

    hall = MemoryHall(new_state(HALL_ID, TZ, rules or Rules()), clock)
    hall.execute(c.ApplyCatalog(version=CATALOG["version"], services=CATALOG["services"]))
    hall.execute(c.ConfigureCounters(counters=COUNTERS))
    return hall


@pytest.fixture
def hall(clock: FixedClock) -> MemoryHall:
    return memory_hall(clock)


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., HallStore]]:
    opened: list[HallStore] = []

    def make(clock: FixedClock, rules: Rules | None = None, name: str = "hall.db") -> HallStore:
        s = HallStore(tmp_path / name, hall_id=HALL_ID, tz=TZ, rules=rules or Rules(), clock=clock)
        if not s.initialised:
            s.setup(CATALOG, COUNTERS)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


class _FailOnSwallowed(logging.Handler):
    """A test fails on any exception that was logged (and so perhaps swallowed)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_swallowed_exceptions(request: pytest.FixtureRequest) -> Iterator[None]:
    handler = _FailOnSwallowed()
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    if handler.records and "allow_logged_exceptions" not in request.keywords:
        msgs = [f"{r.name}: {r.getMessage()}" for r in handler.records]
        pytest.fail("exceptions were logged: " + "; ".join(msgs))
