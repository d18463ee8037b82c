"""The words of a spoken call: golden tables."""

from __future__ import annotations

import pytest

from drivers.speech.text import Call, backlog_phrase, call_phrase, cardinal, ticket_tokens


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "零"),
        (3, "三"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1010, "一千零一十"),
        (2005, "二千零五"),
        (10000, "一万"),
        (10010, "一万零一十"),
        (123456, "十二万三千四百五十六"),
    ],
)
def test_cardinal(number: int, words: str) -> None:
    assert cardinal(number) == words


@pytest.mark.parametrize(
    ("ticket", "tokens"),
    [
        ("A012", ("A", "零", "一", "二")),
        ("a001", ("A", "零", "零", "一")),
        (" B7 ", ("B", "七")),
        ("100", ("一", "零", "零")),
        ("VIP05", ("V", "I", "P", "零", "五")),
    ],
)
def test_ticket_is_read_letter_by_letter_and_digit_by_digit(
    ticket: str, tokens: tuple[str, ...]
) -> None:
    assert ticket_tokens(ticket) == tokens


@pytest.mark.parametrize(
    ("call", "display", "spoken"),
    [
        (Call("A012", "3"), "请 A012 号到 3 号窗口办理", "请 A 零 一 二 号 到 三 号 窗口 办理"),
        (Call("A012", "12"), "请 A012 号到 12 号窗口办理", "请 A 零 一 二 号 到 十二 号 窗口 办理"),
        (Call("C100", "20"), "请 C100 号到 20 号窗口办理", "请 C 一 零 零 号 到 二十 号 窗口 办理"),
        (Call("A1", "B3"), "请 A1 号到 B3 号窗口办理", "请 A 一 号 到 B 三 号 窗口 办理"),
        (
            Call("B007", "5", "婚姻登记处"),
            "请 B007 号到婚姻登记处办理",
            "请 B 零 零 七 号 到 婚姻登记处 办理",
        ),
        (
            Call("B007", "5", "2楼社保窗口"),
            "请 B007 号到 2楼社保窗口办理",
            "请 B 零 零 七 号 到 二楼社保窗口 办理",
        ),
        (
            Call("A012", "3", "  "),
            "请 A012 号到 3 号窗口办理",
            "请 A 零 一 二 号 到 三 号 窗口 办理",
        ),
        (
            Call("A012", "3", recall=True),
            "请 A012 号到 3 号窗口办理",
            "请 A 零 一 二 号 到 三 号 窗口 办理",
        ),
    ],
)
def test_call_phrase(call: Call, display: str, spoken: str) -> None:
    phrase = call_phrase(call)
    assert phrase.display == display
    assert phrase.spoken == spoken


@pytest.mark.parametrize(
    ("tickets", "counter", "name", "display", "spoken"),
    [
        (
            ["A012", "A013"],
            "3",
            None,
            "请 A012、A013 号到 3 号窗口",
            "请 A 零 一 二 、 A 零 一 三 号 到 三 号 窗口",
        ),
        (["A012"], "11", None, "请 A012 号到 11 号窗口", "请 A 零 一 二 号 到 十一 号 窗口"),
        (
            ["B1", "B2", "B3"],
            "5",
            "公积金",
            "请 B1、B2、B3 号到公积金",
            "请 B 一 、 B 二 、 B 三 号 到 公积金",
        ),
    ],
)
def test_backlog_phrase(
    tickets: list[str], counter: str, name: str | None, display: str, spoken: str
) -> None:
    phrase = backlog_phrase(tickets, counter, name)
    assert phrase.display == display
    assert phrase.spoken == spoken


@pytest.mark.parametrize(
    "call",
    [
        Call("", "3"),
        Call("A-12", "3"),
        Call("ABCD1", "3"),
        Call("A0123456", "3"),
        Call("A012", ""),
        Call("A012", "3-1"),
        Call("A012", "3", "名" * 25),
        Call("A012", "3", "婚姻\n登记"),
    ],
)
def test_malformed_calls_are_refused(call: Call) -> None:
    with pytest.raises(ValueError):
        call_phrase(call)


def test_backlog_needs_a_ticket() -> None:
    with pytest.raises(ValueError):
        backlog_phrase([], "3", None)


def test_cardinal_range() -> None:
    with pytest.raises(ValueError):
        cardinal(-1)
