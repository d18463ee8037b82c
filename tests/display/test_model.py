"""The display's model without Qt: board, live calls, highlight, recent list, link, paging."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from display.model import DisplayModel, date_text, estimate_text

from .helpers import board, call

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def model(**kw: float) -> DisplayModel:
    made = DisplayModel(hall_name="配置里的名字", highlight_seconds=8.0, recent_calls=4, **kw)
    made.set_link(True)
    return made


def test_the_board_is_shown_at_once_without_highlight() -> None:
    m = model()
    assert m.screen(NOW, 0).status_text == "正在连接叫号系统…"
    assert m.apply_board(
        board(call("B002", seq=12), call("J001", "9", seq=11, counter_name="婚姻登记处"))
    )
    s = m.screen(NOW, 100.0)
    assert s.current is None and not s.flash_on  # a call made before we started never flashes
    assert [(c.number, c.place) for c in s.recent] == [("B002", "3 号窗口"), ("J001", "婚姻登记处")]
    assert s.hall_name == "湛河区政务服务中心"
    assert s.date_text == "2026年11月27日 星期五" and s.time_text == "09:30"
    assert s.notice == "请保管好随身物品"
    assert s.waiting_total == 6
    assert s.paused == ("5 号窗口", "婚姻登记处") and s.closed == ("1 号窗口",)
    assert s.counters_text == "暂停服务：5 号窗口、婚姻登记处　未开放：1 号窗口"
    assert [(r.name, r.waiting, r.estimate) for r in s.services] == [
        ("医保关系转移接续", 4, "约 22 分钟"),
        ("婚姻登记", 0, "无需等候"),
        ("社会保障卡申领", 2, "暂停办理"),  # no open counter: listed last
    ]
    assert s.status_text == ""


def test_a_live_call_flashes_then_joins_the_recent_list() -> None:
    m = model()
    m.apply_board(board(call("B001", seq=10)))
    shown = m.apply_call(call("B002", seq=11), mono=50.0)
    assert shown is not None and shown.sentence == "请 B002 号 到 3 号窗口"
    phases = [m.screen(NOW, 50.0 + t).flash_on for t in (0.0, 0.6, 1.1, 1.6)]
    assert phases == [True, False, True, False]  # the visual alert
    s = m.screen(NOW, 57.9)
    assert s.current == shown and [c.number for c in s.recent] == ["B001"]
    s = m.screen(NOW, 58.1)
    assert s.current is None and [c.number for c in s.recent] == ["B002", "B001"]
    # the board catches up with the same call: still one row
    m.apply_board(board(call("B002", seq=11), call("B001", seq=10)))
    assert [c.number for c in m.screen(NOW, 60.0).recent] == ["B002", "B001"]


def test_a_newer_call_takes_the_banner_and_a_recall_keeps_one_row() -> None:
    m = model()
    m.apply_call(call("B001", seq=1), mono=10.0)
    m.apply_call(call("J001", "9", seq=2, counter_name="婚姻登记处"), mono=11.0)
    m.apply_call(call("B001", seq=3, recall=True), mono=12.0)
    s = m.screen(NOW, 12.5)
    assert s.current is not None and s.current.number == "B001" and s.current.recall
    assert [c.number for c in s.recent] == ["J001"]  # B001's first call is not listed twice
    assert [c.number for c in m.screen(NOW, 30.0).recent] == ["B001", "J001"]


def test_recent_list_is_bounded() -> None:
    m = model()
    for n in range(1, 10):
        m.apply_call(call(f"B{n:03d}", seq=n), mono=float(n))
    assert [c.number for c in m.screen(NOW, 100.0).recent] == ["B009", "B008", "B007", "B006"]


def test_link_lost_keeps_the_last_state() -> None:
    m = model()
    m.apply_board(board(call("B001", seq=1)))
    m.set_link(False)
    s = m.screen(NOW, 1.0)
    assert s.status_text == "连接中断" and [c.number for c in s.recent] == ["B001"]
    m.set_link(True)
    assert m.screen(NOW, 1.0).status_text == ""


@pytest.mark.parametrize(
    "bad",
    [
        {"calls": "B001"},
        {"calls": [{"number": "B 1", "counter": "3"}]},
        {"services": [{"waiting": 1}]},
        {"services": [{"name": "x", "waiting": -1}]},
        {"services": [{"name": "x", "waiting": 1, "on_the_way": "2"}]},
        {"services": [{"name": "x", "waiting": 1, "on_the_way": -1}]},
        {"counters": ["3"]},
    ],
)
def test_a_malformed_board_is_refused_and_changes_nothing(bad: dict[str, object]) -> None:
    m = model()
    m.apply_board(board(call("B001", seq=1)))
    before = m.screen(NOW, 1.0)
    assert m.apply_board({**board(), **bad}) is False
    assert m.screen(NOW, 1.0) == before and m.rejected == 1
    assert m.apply_call({"number": "??"}, mono=1.0) is None and m.rejected == 2


def test_numbers_on_their_way_beside_the_waiting_count() -> None:
    """云叫号: of a service's waiting, those whose citizen is not in the hall yet; said only
    when there are some (a board without the field, from an older hub, says nothing)."""
    m = model()
    services = [
        {"code": "SB-001", "name": "社会保障卡申领", "waiting": 12, "on_the_way": 3},
        {"code": "YB-001", "name": "医保关系转移接续", "waiting": 4, "on_the_way": 0},
        {"code": "HY-001", "name": "婚姻登记", "waiting": 2},
        {"code": "GJJ-001", "name": "住房公积金提取", "waiting": 1, "on_the_way": 5},
    ]
    assert m.apply_board(board(services=services))
    rows = {r.code: r.on_the_way_text for r in m.screen(NOW, 1.0).services}
    assert rows == {"SB-001": "含3人在途", "YB-001": "", "HY-001": "", "GJJ-001": "含1人在途"}


def test_a_new_day_forgets_yesterdays_calls() -> None:
    m = model()
    m.apply_board(board(day="2026-11-26"))
    m.apply_call(call("B077", seq=5), mono=1.0)
    m.apply_board(board(day="2026-11-27"))
    s = m.screen(NOW, 2.0)
    assert s.current is None and s.recent == ()


def test_services_that_do_not_fit_are_paged() -> None:
    services = [
        {"code": f"S{i}", "name": f"服务{i}", "waiting": i, "est_wait_min": 5, "open_counters": 1}
        for i in range(5)
    ]
    m = DisplayModel(page_seconds=10.0)
    m.apply_board(board(services=services))
    pages = [m.screen(NOW, t, service_rows=2) for t in (0.0, 10.0, 20.0, 30.0)]
    assert [[r.name for r in p.services] for p in pages] == [
        ["服务0", "服务1"],
        ["服务2", "服务3"],
        ["服务4"],
        ["服务0", "服务1"],
    ]
    assert [p.page_text for p in pages] == ["1/3", "2/3", "3/3", "1/3"]
    assert m.screen(NOW, 0.0, service_rows=8).page_text == ""


@pytest.mark.parametrize(
    ("waiting", "minutes", "open_counters", "text"),
    [
        (3, 14.6, 1, "约 15 分钟"),
        (1, 0.2, 2, "约 1 分钟"),
        (0, 0, 1, "无需等候"),
        (5, 30, 0, "暂停办理"),
        (2, None, 1, "请稍候"),
        (40, 74, 3, "约 1 小时 10 分"),
        (40, 118, 3, "约 2 小时"),
        (300, 2030, 3, "3 小时以上"),
    ],
)
def test_estimate_text(waiting: int, minutes: object, open_counters: int, text: str) -> None:
    assert estimate_text(waiting, minutes, open_counters) == text


def test_date_text_in_chinese() -> None:
    assert date_text(datetime(2026, 11, 29)) == "2026年11月29日 星期日"
