"""Calls off the bus: parsed leniently, checked strictly, deduplicated; the screen's sentence."""

from __future__ import annotations

from typing import Any

import pytest

from display.calls import BadMessage, CallView, SeenCalls, own_name, parse_call
from drivers.speech import Call

from .helpers import call


@pytest.mark.parametrize(
    ("payload", "sentence", "speech"),
    [
        (call("A012", "3"), "请 A012 号 到 3 号窗口", Call("A012", "3", None, False)),
        (
            call("J001", "9", counter_name="婚姻登记处"),
            "请 J001 号 到 婚姻登记处",
            Call("J001", "9", "婚姻登记处", False),
        ),
        (
            call("B105", "12", recall=True, counter_name="12号窗口"),
            "请 B105 号 到 12 号窗口",
            Call("B105", "12", None, True),
        ),
        (call("C7", "B3", counter_name=None), "请 C7 号 到 B3 号窗口", Call("C7", "B3", None)),
        (
            call("A001", "3", unknown_field="ignored"),
            "请 A001 号 到 3 号窗口",
            Call("A001", "3", None, False),
        ),
    ],
)
def test_call_sentence_and_what_is_spoken(
    payload: dict[str, Any], sentence: str, speech: Call
) -> None:
    view = parse_call(payload)
    assert view.sentence == sentence
    assert view.to_speech() == speech


@pytest.mark.parametrize(
    ("counter", "shown", "name"),
    [
        ("3", "3号窗口", None),
        ("3", " 3 号窗口 ", None),
        ("3", "", None),
        ("3", None, None),
        ("9", "婚姻登记处", "婚姻登记处"),
        ("3", "13号窗口", "13号窗口"),  # another counter's default is a name as written
    ],
)
def test_own_name(counter: str, shown: object, name: str | None) -> None:
    assert own_name(counter, shown) == name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "A-12"}, "number"),
        ({"number": 12}, "number"),
        ({"number": None}, "number"),
        ({"counter": "3/4"}, "counter"),
        ({"counter": ""}, "counter"),
        ({"seq": -1}, "seq"),
        ({"seq": "7"}, "seq"),
        ({"counter_name": "x" * 40}, "counter_name"),
        ({"counter_name": "婚姻\n登记"}, "counter_name"),
    ],
)
def test_malformed_calls_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(BadMessage, match=field):
        parse_call({**call("A001"), **change})


def test_masked_names_only_when_turned_on_and_only_masked() -> None:
    payload = call("A001", masked_name="张*")
    assert parse_call(payload).masked_name is None
    shown = parse_call(payload, masked_names=True)
    assert shown.sentence == "请 A001 号 张* 到 3 号窗口"
    assert shown.to_speech() == Call("A001", "3")  # a name is never spoken
    assert parse_call(call("A001", masked_name="张三"), masked_names=True).masked_name is None


def test_a_message_delivered_twice_acts_once() -> None:
    seen = SeenCalls(size=2)
    a, b, c = (CallView("A001", "3", None, seq=n) for n in (1, 2, 3))
    assert [seen.first_time(x) for x in (a, b, a, c)] == [True, True, False, True]
    assert seen.first_time(a) is True  # forgotten after `size` newer ones
