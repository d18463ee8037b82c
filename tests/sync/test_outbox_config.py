"""The outbox read-only over a real hall database, and the city's config applied atomically."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest

from appliance.config import parse
from hall.core import commands as c
from hall.core.timekeeping import FixedClock
from hall.store.store import HallStore
from sync import wire
from sync.cityconfig import apply_city_config
from sync.outbox import Outbox
from tests.conftest import at


@pytest.fixture
def store(make_store: Any) -> HallStore:
    s: HallStore = make_store(FixedClock(at("09:05")))
    for i in range(40):
        s.execute(c.IssueTicket("SB-001" if i % 2 else "YB-001"))
    return s


def test_batches_are_valid_in_order_and_within_limits(store: HallStore) -> None:
    ob = Outbox(store.path)
    top = ob.max_seq()
    assert top == 42
    b = ob.batch("410411-ZH01", 1, top, max_events=10, max_bytes=256 * 1024)
    assert b is not None and (b.first, b.last, b.count) == (1, 10, 10)
    payload = wire.decode(b.data)
    assert wire.problems("eventBatch", payload) == []
    assert payload["events"] == ob.events(1, 10)
    small = ob.batch("410411-ZH01", 5, top, max_events=500, max_bytes=4096)
    assert small is not None and small.first == 5 and small.last < top
    assert len(small.data) <= 4096
    assert ob.batch("410411-ZH01", top + 1, top, max_events=500, max_bytes=4096) is None
    ob.close()


def test_outbox_is_read_only(store: HallStore) -> None:
    ob = Outbox(store.path)
    ob.max_seq()
    assert ob._reader is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ob._reader.conn.execute("DELETE FROM events")
    assert ob.max_seq() == 42
    ob.close()


CONFIG = """[hall]
id = "410411-ZH01"
name = "湛河区政务服务中心"

[queue]
max_recalls = 3

[[counters]]
id = "1"
services = ["SB-001"]
"""


def test_city_config_applied_whole_when_newer(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(CONFIG, encoding="utf-8")
    msg = {
        "v": 1,
        "version": 7,
        "settings": {
            "queue": {"max_recalls": 5, "skip_after_calls": 3},
            "hub": {"notice": "今日下午16:30停止取号"},
        },
    }
    out = apply_city_config(path, msg, managed=["queue", "hub"], current=6, validate=parse)
    assert (
        out is not None
        and out.applied
        and out.report(7) == {"v": 1, "version": 7, "applied": True, "current": 7}
    )
    data = tomllib.loads(path.read_text("utf-8"))
    assert data["queue"] == {"max_recalls": 5, "skip_after_calls": 3}  # whole section
    assert data["hub"]["notice"] == "今日下午16:30停止取号"
    assert data["counters"] == [{"id": "1", "services": ["SB-001"]}]
    again = apply_city_config(path, msg, managed=["queue", "hub"], current=7, validate=parse)
    assert again is None


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"queue": {"max_recalls": 99}}, "queue.max_recalls"),
        ({"queue": {"no_such_key": 1}}, "not a known setting"),
        ({"bus": {"port": 1}}, "not managed by the city"),
        ({"queue": 5}, "must be tables"),
        ([], "settings must be a JSON object"),
    ],
)
def test_bad_city_config_changes_nothing(tmp_path: Path, settings: Any, error: str) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(CONFIG, encoding="utf-8")
    out = apply_city_config(
        path,
        {"v": 1, "version": 8, "settings": settings},
        managed=["queue", "hub"],
        current=7,
        validate=parse,
    )
    assert out is not None and not out.applied and error in out.error
    assert str(tmp_path) not in out.error
    assert path.read_text("utf-8") == CONFIG  # the hall keeps its last good config
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind
    report = out.report(7)
    assert report["applied"] is False and report["current"] == 7
    assert wire.problems("configReported", json.loads(json.dumps(report))) == []
