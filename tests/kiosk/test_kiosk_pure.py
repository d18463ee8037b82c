"""The kiosk's pure parts: services and search, idle, the PIN gate, navigation, guidance."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drivers.speech import NullPlayer, make_engine
from drivers.speech.engine import CommandEngine
from drivers.speech.text import cardinal
from kiosk import navigation, search, services
from kiosk.flow.technician import PinGate
from kiosk.guide import Guide, Number, Sentence, TicketNo, phrase, phrase_ticket, speakable
from kiosk.idle import IdleTimer
from tests.kiosk.conftest import TZ

HOURS = [
    {"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"},
    {"days": "1-5", "from": "13:30", "to": "17:00"},
]
CATALOG = {
    "hall_name": "湛河区政务服务中心",
    "services": [
        {
            "code": "SB-001",
            "name": "社会保障卡申领",
            "category": "社会保障",
            "hours": HOURS,
            "hours_text": "周一至周五 09:00-12:00、13:30-17:00",
        },
        {"code": "SB-002", "name": "养老保险参保登记", "category": "社会保障", "hours": HOURS},
        {
            "code": "BDC-001",
            "name": "不动产登记（二手房转移）",
            "category": "不动产登记",
            "hours": HOURS,
        },
        {
            "code": "HY-001",
            "name": "婚姻登记",
            "category": "民政",
            "hours": [{"days": [6], "from": "09:00", "to": "12:00"}],
        },
        "garbage",
    ],
}
BOARD = {
    "services": [
        {"code": "SB-001", "waiting": 7, "est_wait_min": 18, "open_counters": 2},
        {"code": "BDC-001", "waiting": 1, "est_wait_min": None},
    ]
}


def entries() -> list[services.ServiceEntry]:
    return services.build_entries(CATALOG, BOARD)


def test_entries_join_catalog_and_board() -> None:
    got = entries()
    assert [e.code for e in got] == ["SB-001", "SB-002", "BDC-001", "HY-001"]
    sb = got[0]
    assert (sb.waiting, sb.est_wait_min, sb.open_counters) == (7, 18, 2)
    assert (got[1].waiting, got[1].est_wait_min) == (0, None)
    assert services.categories(got) == ["社会保障", "不动产登记", "民政"]
    assert services.build_entries(None, None) == []


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("社保", ["SB-001", "SB-002"]),  # the everyday word for both
        ("社会保障", ["SB-001"]),
        ("sb-0", ["SB-001", "SB-002"]),
        ("SHBZ", ["SB-001"]),
        ("sbk", ["SB-001"]),
        ("bdc", ["BDC-001"]),
        ("dengji", ["SB-002", "BDC-001", "HY-001"]),
        ("hydj", ["HY-001"]),
        ("", ["SB-001", "SB-002", "BDC-001", "HY-001"]),
        ("zzzz", []),
    ],
)
def test_search(query: str, codes: list[str]) -> None:
    assert [e.code for e in search.search(entries(), query)] == codes


SAMPLE = json.loads(
    (Path(__file__).parents[2] / "appliance/sim/data/catalog.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("HZ", ["CRJ-001"]),  # 护照
        ("GS", ["SCJG-001"]),  # 工商
        ("SBK", ["SB-001"]),  # 社保卡
        ("GJJ", ["GJJ-001"]),  # 公积金
        ("JH", ["HY-001"]),  # 结婚
        ("FCZ", ["BDC-001", "BDC-002"]),  # 房产证
        ("YB", ["YB-001", "YB-002"]),  # 医保
    ],
)
def test_search_by_everyday_words(query: str, codes: list[str]) -> None:
    """The letter keys find a service by the initials of the words people say for it."""
    found = search.search(services.build_entries(SAMPLE, None), query)
    assert [e.code for e in found][: len(codes)] == codes  # first; a weaker match may follow


def test_opening_hours() -> None:
    friday_morning = datetime(2026, 11, 27, 9, 30, tzinfo=TZ)
    friday_lunch = datetime(2026, 11, 27, 12, 30, tzinfo=TZ)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=TZ)
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=TZ)
    got = entries()
    assert services.open_now(got, friday_morning)
    assert not services.open_now(got, friday_lunch)
    assert services.open_now(got, saturday) and got[3].is_open(saturday)
    assert not got[0].is_open(saturday)
    assert not services.open_now(got, sunday)
    assert services.hours_lines(got) == ["周一至周五 09:00-12:00、13:30-17:00", "周六 09:00-12:00"]


def test_idle_timer() -> None:
    idle = IdleTimer(30, 10, now=100.0)
    assert idle.countdown(110.0) is None
    assert idle.countdown(121.5) == 9
    assert not idle.expired(129.0) and idle.expired(130.0)
    idle.touch(125.0)
    assert idle.countdown(126.0) is None
    idle.reset(120, show=False, now=200.0)
    assert idle.countdown(315.0) is None and idle.expired(320.0)


def test_pin_gate() -> None:
    gate = PinGate("2468")
    assert [gate.tap(t) for t in (0, 0.5, 1, 1.5)] == [False] * 4
    assert gate.tap(2.0)
    assert not any(gate.tap(t) for t in (10, 14, 18, 22))  # too slow: never five in 3 s
    for k in "2468":
        gate.key(k)
    assert gate.submit(30) == "ok"
    for _ in range(4):
        gate.key("1")
        assert gate.submit(31) == "wrong"
    gate.key("1")
    assert gate.submit(32) == "locked"
    for k in "2468":
        gate.key(k)
    assert gate.submit(40) == "locked" and gate.locked_for(40) == 52
    for k in "2468":
        gate.key(k)
    assert gate.submit(93) == "ok"
    assert PinGate(None).submit(0) == "disabled"


NEARBY: dict[str, Any] = {
    "at": "2026-11-27T10:00:00+08:00",
    "online": True,
    "halls": [
        {
            "hall_id": "410411-XC01",
            "name": "新城街道便民服务中心",
            "address": "新城路 1 号",
            "distance_km": 1.2,
            "services": ["SB-001", "YB-001"],
            "load": {"SB-001": {"waiting": 12, "est_wait_min": 40}},
            "load_at": None,
        },
        {
            "hall_id": "410402-ZX01",
            "name": "新华区政务服务中心",
            "address": "建设路 88 号",
            "distance_km": 6.5,
            "services": ["SB-001"],
            "load": {"SB-001": {"waiting": 0, "est_wait_min": 0}},
            "load_at": None,
        },
        {
            "hall_id": "410411-BK01",
            "name": "工商银行政银通办网点",
            "address": "中兴路 9 号",
            "distance_km": 3.0,
            "services": ["SB-001"],
            "load": {},
            "load_at": None,
        },
        {
            "hall_id": "410411-HY01",
            "name": "婚姻登记处",
            "address": "x",
            "distance_km": 0.5,
            "services": ["HY-001"],
            "load": {},
        },
        "garbage",
    ],
}


def test_ranking_and_rows() -> None:
    """hall.core.navigation ranks (a malformed entry is skipped); the kiosk turns it into rows."""
    names = lambda mode: [h["hall_id"] for h in navigation.rank(NEARBY, "SB-001", mode)]  # noqa: E731
    assert names("nearest") == ["410411-XC01", "410411-BK01", "410402-ZX01"]
    assert names("fastest") == ["410402-ZX01", "410411-XC01", "410411-BK01"]
    rows = navigation.rows(navigation.rank(NEARBY, "SB-001", "nearest"), "SB-001")
    r = rows[0]
    assert (r.hall_id, r.name, r.distance_km, r.waiting, r.est_wait_min) == (
        "410411-XC01",
        "新城街道便民服务中心",
        1.2,
        12,
        40,
    )
    assert "最近" in rows[0].reason
    assert rows[1].waiting is None and rows[1].est_wait_min is None
    assert navigation.as_of(NEARBY) == "10:00"
    assert navigation.as_of({"at": None}) is None
    assert navigation.services_offered(NEARBY) == {"SB-001", "YB-001", "HY-001"}
    with pytest.raises(ValueError):
        navigation.rank(NEARBY, "SB-001", "cheapest")


def test_rank_uses_sync_navigation_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake = types.ModuleType("hall.core.navigation")
    fake.rank = lambda nearby, service, mode, now=None: [nearby["halls"][2]]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hall.core.navigation", fake)
    assert [h["hall_id"] for h in navigation.rank(NEARBY, "SB-001", "best")] == ["410411-BK01"]


def test_speakable_text() -> None:
    assert speakable("前面还有 12 人，约 30 分钟", cardinal) == (
        "前面还有",
        "十二",
        "人",
        "，",
        "约",
        "三十",
        "分钟",
    )
    assert speakable("办理时间：09:00-12:00", cardinal) == (
        "办理时间",
        "，",
        "九",
        "，",
        "零",
        "十二",
        "，",
        "零",
    )
    p = phrase_ticket("A012", 3, 15)
    assert p.tokens()[:6] == ("请取走您的号票", "，", "您的号码是", "A", "零", "一")
    assert "三" in p.tokens() and "十五" in p.tokens()
    assert p.display == "请取走您的号票，您的号码是 A012 号，前面还有3人，预计等待约15分钟"
    assert Sentence(("共", Number(101), "人", TicketNo("B7"))).tokens() == (
        "共",
        "一百零一",
        "人",
        "B",
        "七",
    )


def test_guide_speaks_with_espeak_into_a_null_player() -> None:
    player = NullPlayer()
    guide = Guide.with_voice(make_engine("espeak-ng"), player).start()
    try:
        guide.say(phrase_ticket("A001", 2, 6))
        assert guide.wait_idle(20)
        (played,) = player.played
        assert played.text.startswith("请取走您的号票") and played.audio.duration > 1.0
    finally:
        guide.stop()


def test_guide_keeps_only_the_newest_sentence() -> None:
    player = NullPlayer()
    slow = CommandEngine(
        "slow", ["sh", "-c", "sleep 0.3; espeak-ng -v cmn-latn-pinyin -w {out} '{text}'"]
    )
    guide = Guide.with_voice(slow, player).start()
    try:
        for text in ("第一句", "第二句", "第三句", "第四句"):
            guide.say(phrase(text))
        assert guide.wait_idle(20)
        spoken = [p.text for p in player.played]
        assert spoken[-1] == "第四句" and len(spoken) <= 2  # the 2nd and 3rd were replaced
    finally:
        guide.stop()


def test_guide_reports_a_failing_engine() -> None:
    faults: list[tuple[str, str]] = []
    broken = CommandEngine("broken", ["false"])
    guide = Guide.with_voice(
        broken, NullPlayer(), on_fault=lambda k, m: faults.append((k, m))
    ).start()
    try:
        guide.say(phrase("你好"))
        assert guide.wait_idle(10)
        assert faults and faults[0][0] == "speech"
    finally:
        guide.stop()


def test_ages_count_to_now_when_the_figures_are_old() -> None:
    from datetime import datetime, timedelta

    nearby = {
        "at": "2026-11-27T10:00:00+08:00",
        "online": False,
        "halls": [
            {
                "hall_id": "410411-XC01",
                "name": "新城街道便民服务中心",
                "address": "新城路 1 号",
                "distance_km": 1.2,
                "services": ["SB-001"],
                "load": {"SB-001": {"waiting": 12, "est_wait_min": 40}},
                "load_at": "2026-11-27T10:00:00+08:00",
            }
        ],
    }
    at = datetime.fromisoformat("2026-11-27T10:00:00+08:00")
    fresh = navigation.rank(nearby, "SB-001", "nearest", now=at)
    later = navigation.rank(nearby, "SB-001", "nearest", now=at + timedelta(minutes=90))
    assert fresh[0]["age_min"] == 0 and later[0]["age_min"] == 90
