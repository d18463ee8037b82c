"""With every counter closed, the screen says when the hall serves instead of listing them."""

from __future__ import annotations

from datetime import datetime

import pytest

from display.hours import DAY_OVER, HallHours, hours_from_catalog
from display.model import DisplayModel, counter_list

from .helpers import board

CATALOG = {
    "services": [
        {"code": "SB-001", "hours": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}]},
        {
            "code": "YB-001",
            "hours": [
                {"days": [1, 2, 3, 4, 5], "from": "13:30", "to": "17:00"},
                {"days": [6], "from": "09:00", "to": "12:00"},
            ],
        },
    ]
}
FRIDAY = (2026, 11, 27)
SUNDAY = (2026, 11, 29)


@pytest.mark.parametrize(
    ("day", "hhmm", "text"),
    [
        (FRIDAY, "08:10", "今日 9:00 开始办理"),
        (FRIDAY, "10:00", None),  # inside the hours: closed counters are listed
        (FRIDAY, "12:30", "13:30 继续办理"),
        (FRIDAY, "16:59", None),
        (FRIDAY, "17:00", DAY_OVER),
        (FRIDAY, "21:40", DAY_OVER),
        (SUNDAY, "10:00", "今日不办理业务"),
        ((2026, 11, 28), "11:00", None),  # Saturday morning: one service is open
    ],
)
def test_what_the_hall_closed_says(day: tuple[int, int, int], hhmm: str, text: str | None) -> None:
    hours = hours_from_catalog(CATALOG)
    h, m = map(int, hhmm.split(":"))
    assert hours.closed_text(datetime(*day, h, m)) == text


def test_unknown_or_malformed_hours_change_nothing() -> None:
    assert HallHours().closed_text(datetime(*FRIDAY, 21, 0)) is None
    bad = {"services": [{"hours": [{"days": [1], "from": "25:00", "to": "12:00"}]}, "junk"]}
    assert not hours_from_catalog(bad).known


def closed_board() -> dict[str, object]:
    counters = [
        {"counter": str(c), "name": f"{c}号窗口", "state": "closed", "current": None}
        for c in range(1, 9)
    ]
    return board(counters=[*counters, {"counter": "9", "name": "婚姻登记处", "state": "closed"}])


def test_after_closing_the_screen_says_the_day_is_over() -> None:
    m = DisplayModel()
    m.apply_catalog(CATALOG)
    m.apply_board(closed_board())
    evening = m.screen(datetime(*FRIDAY, 18, 0), 0.0)
    assert evening.idle_text == DAY_OVER and evening.counters_text == ""
    morning = m.screen(datetime(*FRIDAY, 10, 0), 0.0)
    assert morning.idle_text == "请留意叫号信息，过号请到服务台咨询"
    assert morning.counters_text == "未开放：1～8 号窗口、婚姻登记处"


def test_one_counter_still_open_in_the_evening_lists_the_others() -> None:
    m = DisplayModel()
    m.apply_catalog(CATALOG)
    b = closed_board()
    b["counters"][0]["state"] = "open"  # type: ignore[index]
    m.apply_board(b)
    s = m.screen(datetime(*FRIDAY, 18, 0), 0.0)
    assert s.hall_closed == "" and s.counters_text.startswith("未开放：2～8 号窗口")


def test_counters_are_listed_compactly_with_one_spacing() -> None:
    assert counter_list(["1 号窗口", "2 号窗口"]) == "1、2 号窗口"
    assert counter_list(["12 号窗口", "3 号窗口", "婚姻登记处", "4 号窗口", "5 号窗口"]) == (
        "3～5、12 号窗口、婚姻登记处"
    )
    assert counter_list(["B3 号窗口"]) == "B3 号窗口"
    m = DisplayModel()
    m.apply_board(board(counters=[{"counter": "91", "name": "91号窗口", "state": "paused"}]))
    assert m.screen(datetime(*FRIDAY, 10, 0), 0.0).counters_text == "暂停服务：91 号窗口"
