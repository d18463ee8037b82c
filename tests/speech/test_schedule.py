"""The announcement queue's rules, pure: order, merges, backlog, volume and quiet hours."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.speech.schedule import (
    Announcement,
    AnnouncementQueue,
    Plan,
    QuietHours,
    SpeechSettings,
    VolumeStep,
    plan_for,
    volume_at,
)
from drivers.speech.text import Call


def drain(queue: AnnouncementQueue) -> list[Announcement]:
    out = []
    while (item := queue.pop()) is not None:
        out.append(item)
    return out


def test_calls_are_announced_in_order() -> None:
    queue = AnnouncementQueue(SpeechSettings())
    for ticket in ("A001", "B001", "A002"):
        assert queue.push(Call(ticket, "3")) is False
    assert [a.tickets for a in drain(queue)] == [("A001",), ("B001",), ("A002",)]
    assert queue.pop() is None


def test_recall_of_a_waiting_number_merges_in_place() -> None:
    queue = AnnouncementQueue(SpeechSettings())
    queue.push(Call("A001", "3"))
    queue.push(Call("A002", "3"))
    assert queue.push(Call("a001", "3", recall=True)) is True
    assert queue.waiting() == (Call("a001", "3", recall=True), Call("A002", "3"))
    assert [a.tickets for a in drain(queue)] == [("A001",), ("A002",)]


def test_a_transfer_while_waiting_takes_the_newest_counter() -> None:
    queue = AnnouncementQueue(SpeechSettings())
    queue.push(Call("A001", "3", recall=True))
    queue.push(Call("A001", "5", "综合窗口"))
    (only,) = drain(queue)
    assert only.calls == (Call("A001", "5", "综合窗口", recall=True),)
    assert only.phrase.display == "请 A001 号到综合窗口办理"


def test_a_backlog_is_shortened_per_counter() -> None:
    queue = AnnouncementQueue(SpeechSettings(backlog_limit=3, max_group=3))
    for ticket, counter in [("A1", "3"), ("B1", "5"), ("A2", "3"), ("A3", "3"), ("A4", "3")]:
        queue.push(Call(ticket, counter))
    first, second, third = drain(queue)
    assert first.shortened and first.tickets == ("A1", "A2", "A3")
    assert first.phrase.display == "请 A1、A2、A3 号到 3 号窗口"
    assert not second.shortened and second.phrase.display == "请 B1 号到 5 号窗口办理"
    assert not third.shortened and third.tickets == ("A4",)


def test_malformed_call_is_refused_and_not_queued() -> None:
    queue = AnnouncementQueue(SpeechSettings())
    with pytest.raises(ValueError):
        queue.push(Call("A-1", "3"))
    assert len(queue) == 0


calls = st.lists(
    st.builds(
        Call,
        ticket=st.sampled_from(["A001", "A002", "A003", "B001", "B002", "C010"]),
        counter_id=st.sampled_from(["1", "2", "12"]),
        recall=st.booleans(),
    ),
    max_size=30,
)


@given(calls, st.integers(1, 5), st.integers(1, 4), st.sets(st.integers(0, 30)))
def test_every_call_is_announced_once_oldest_first(
    pushed: list[Call], limit: int, group: int, pop_after: set[int]
) -> None:
    """A model: tickets waiting in order of arrival, a repeated ticket merging in place."""
    queue = AnnouncementQueue(SpeechSettings(backlog_limit=limit, max_group=group))
    model: list[str] = []

    def pop() -> None:
        item = queue.pop()
        assert (item is None) == (not model)
        if item is None:
            return
        assert item.tickets[0] == model[0]  # the oldest waiting call goes first
        assert len(item.tickets) <= group and len({c.counter_id for c in item.calls}) == 1
        assert item.shortened == (len(model) > limit)
        for ticket in item.tickets:
            model.remove(ticket)  # each announced once, and only if it was waiting

    for index, call in enumerate(pushed):
        merged = queue.push(call)
        assert merged == (call.ticket in model)
        if not merged:
            model.append(call.ticket)
        if index in pop_after:
            pop()
    while model:
        pop()
    assert queue.pop() is None


NIGHT = (VolumeStep(time(8), 1.0), VolumeStep(time(12), 0.6), VolumeStep(time(18), 0.3))


@pytest.mark.parametrize(
    ("now", "volume"),
    [(time(7, 59), 0.3), (time(8), 1.0), (time(12, 30), 0.6), (time(23), 0.3), (time(0), 0.3)],
)
def test_volume_by_time_of_day(now: time, volume: float) -> None:
    assert volume_at(SpeechSettings(volume=NIGHT), now) == volume


LUNCH = QuietHours(time(12), time(13, 30), "chime")
NIGHT_QUIET = QuietHours(time(22), time(6), "silent")


@pytest.mark.parametrize(
    ("now", "shortened", "plan"),
    [
        (time(9), False, Plan(chime=True, speak=True, repeats=2, volume=1.0)),
        (time(9), True, Plan(chime=True, speak=True, repeats=1, volume=1.0)),
        (time(12, 15), False, Plan(chime=True, speak=False, repeats=0, volume=0.6)),
        (time(13, 30), False, Plan(chime=True, speak=True, repeats=2, volume=0.6)),
        (time(23), False, Plan(chime=False, speak=False, repeats=0, volume=0.3)),
        (time(5, 59), False, Plan(chime=False, speak=False, repeats=0, volume=0.3)),
    ],
)
def test_plan_with_quiet_hours(now: time, shortened: bool, plan: Plan) -> None:
    settings = SpeechSettings(volume=NIGHT, quiet_hours=(LUNCH, NIGHT_QUIET))
    announcement = Announcement((Call("A1", "3"),), shortened=shortened)
    assert plan_for(announcement, settings, now) == plan


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repeats": 0}, "repeats: 0 is outside 1..5"),
        ({"backlog_limit": 0}, "backlog_limit"),
        ({"synth_deadline_s": 0}, "synth_deadline_s"),
        ({"volume": ()}, "volume: at least one step"),
    ],
)
def test_settings_errors_name_the_key(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpeechSettings(**kwargs)  # type: ignore[arg-type]


def test_step_and_quiet_errors_name_the_key() -> None:
    with pytest.raises(ValueError, match=r"volume: 1\.5"):
        VolumeStep(time(8), 1.5)
    with pytest.raises(ValueError, match=r"quiet_hours\.mode"):
        QuietHours(time(8), time(9), "mute")  # type: ignore[arg-type]
