"""Smart navigation: the nearby state from the directory, and 最近办 / 最快办 / 最优办."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from hall.core.navigation import age_minutes, build_nearby, haversine_km, rank
from tests.sync.citykit import DIRECTORY, HALL_ID

NOW = "2026-11-27T10:00:00+08:00"


def hall(
    hid: str,
    km: float | None,
    wait: int | None,
    *,
    at: str | None = NOW,
    services: tuple[str, ...] = ("SB-001",),
    waiting: int = 3,
) -> dict[str, Any]:
    load = (
        {}
        if wait is None and at is None
        else {"SB-001": {"waiting": waiting, "est_wait_min": wait}}
    )
    return {
        "hall_id": hid,
        "name": f"{hid}大厅",
        "address": "湛河区",
        "distance_km": km,
        "services": list(services),
        "load": load,
        "load_at": at,
    }


NEARBY = {
    "at": NOW,
    "online": True,
    "halls": [
        hall("A", 1.0, 40),
        hall("B", 3.0, 5),
        hall("C", 6.0, 0),
        hall("D", 0.5, None, at=None),
        hall("E", 2.0, 10, services=("YB-001",)),
        hall("F", 4.0, 2, at="2026-11-27T08:00:00+08:00"),  # two hours old
    ],
}


@pytest.mark.parametrize(
    ("mode", "order"),
    [
        ("nearest", ["D", "A", "B", "F", "C"]),
        ("fastest", ["C", "B", "A", "D", "F"]),
        ("best", ["B", "C", "D", "F", "A"]),  # unknown waits count 30 min
    ],
)
def test_rank_orders(mode: str, order: list[str]) -> None:
    got = rank(NEARBY, "SB-001", mode)  # type: ignore[arg-type]
    assert [x["hall_id"] for x in got] == order


@pytest.mark.parametrize(
    ("mode", "first_reason"),
    [
        ("nearest", "离您最近，距离约0.5公里，暂无排队数据"),
        ("fastest", "等候最短，目前无需等候，距离约6公里"),
        ("best", "路程加等候最省时，距离约3公里，预计等候约5分钟，合计约11分钟"),
    ],
)
def test_rank_reasons_in_chinese(mode: str, first_reason: str) -> None:
    assert rank(NEARBY, "SB-001", mode)[0]["reason"] == first_reason  # type: ignore[arg-type]


def test_rank_item_fields_and_age() -> None:
    later = datetime.fromisoformat("2026-11-27T10:12:00+08:00")
    items = {x["hall_id"]: x for x in rank(NEARBY, "SB-001", "nearest", now=later)}
    b = items["B"]
    assert b == {
        **b,
        "name": "B大厅",
        "distance_km": 3.0,
        "est_wait_min": 5,
        "waiting": 3,
        "age_min": 12,
        "score_min": 11,
    }
    assert "（12分钟前的数据）" in b["reason"]
    assert items["D"]["age_min"] is None and items["D"]["est_wait_min"] is None
    assert items["F"]["age_min"] == 132  # shown, but not trusted to rank by waiting


def test_rank_unknown_service_and_bad_mode() -> None:
    assert rank(NEARBY, "HY-001", "best") == []
    with pytest.raises(ValueError):
        rank(NEARBY, "SB-001", "cheapest")  # type: ignore[arg-type]


def test_rank_works_offline_from_last_known_figures() -> None:
    offline = {**NEARBY, "online": False}
    assert [x["hall_id"] for x in rank(offline, "SB-001", "fastest")][:2] == ["C", "B"]


def test_age_of_figures_from_a_clock_ahead_is_zero() -> None:
    now = datetime.fromisoformat(NOW)
    assert age_minutes("2026-11-27T11:00:00+08:00", now) == 0
    assert age_minutes("not a time", now) is None
    assert age_minutes("2026-11-27T09:00:00", now) is None  # no offset: not trusted


def test_build_nearby_from_the_sample_directory() -> None:
    loads = {
        "410402-XH01": {
            "v": 1,
            "at": NOW,
            "services": {"SB-001": {"waiting": 7, "est_wait_min": 18, "open_counters": 2}},
        }
    }
    got = build_nearby(DIRECTORY, loads, hall_id=HALL_ID, at=NOW, online=True, max_km=30)
    ids = [h["hall_id"] for h in got["halls"]]
    assert HALL_ID not in ids
    assert ids[0] == "410411-B001"  # the bank outlet 1.4 km away
    dists = [h["distance_km"] for h in got["halls"]]
    assert dists == sorted(dists) and max(dists) <= 30
    xh = next(h for h in got["halls"] if h["hall_id"] == "410402-XH01")
    assert xh["load"] == {"SB-001": {"waiting": 7, "est_wait_min": 18}}
    assert xh["load_at"] == NOW and xh["address"] == "新华区"
    assert set(got) == {"at", "online", "halls"}
    assert set(xh) == {"hall_id", "name", "address", "distance_km", "services", "load", "load_at"}


def test_build_nearby_without_a_directory() -> None:
    assert build_nearby(None, {}, hall_id=HALL_ID, at=None, online=False) == {
        "at": None,
        "online": False,
        "halls": [],
    }


def test_haversine() -> None:
    assert haversine_km(33.7262, 113.3165, 33.7262, 113.3165) == 0
    assert 2.9 < haversine_km(33.7262, 113.3165, 33.7453, 113.2927) < 3.2
