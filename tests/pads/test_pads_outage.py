"""The pads role through a hub outage, busy devices and a restart: presses kept and applied
or shown as not done, displays and evaluator prompts resent until the device takes them."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from counter_pad.keys import Key
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(90)
PAD, EVAL = "call_pad", "evaluator"
DEVICES = {1: ("1", PAD), 2: ("1", EVAL), 3: ("2", PAD)}


def make(tmp_path: Path, **pads: Any) -> PadRig:
    pads = {"command_timeout_s": 2, **pads}
    rig = PadRig(tmp_path, DEVICES, notice_seconds=0.6, pads_extra=pads)
    rig.issue("SB-001", 4)
    rig.press(1, Key.LOGIN, "1001")
    rig.press(3, Key.LOGIN, "1002")
    rig.settle()
    rig.expect(1, "空闲", "等候 4 人")
    return rig


def held_rows(rig: PadRig) -> int:
    return len(rig.memory.durable.held())


def assert_once(rig: PadRig) -> None:
    keys = rig.pad_keys()
    assert all(n == 1 for n in Counter(keys).values()), keys
    assert all(n == 1 for n in Counter(rig.called()).values()), rig.called()


# ------------------------------------------------------------------ busy devices


def test_a_busy_pad_still_shows_the_call(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "counter_pad")
    rig = make(tmp_path)
    try:
        rig.sim.busy(1, 3)  # the SHOW that answers the press gets NAK 3 three times
        rig.press(1, Key.CALL_NEXT)
        rig.expect(1, "A001 已呼叫", "等候 3 人")
        assert len([r for r in caplog.records if "busy (NAK 3) for show" in r.getMessage()]) == 3
    finally:
        rig.close()


def test_a_busy_evaluator_is_still_prompted(tmp_path: Path) -> None:
    rig = make(tmp_path)
    try:
        for key in (Key.CALL_NEXT, Key.START):
            rig.press(1, key)
        rig.settle()
        rig.sim.busy(2, 3)
        rig.press(1, Key.FINISH)
        assert wait_for(lambda: rig.sim.evaluating(2) == "A001")
        rig.sim.rate(2, 4)
        rig.settle()
        assert rig.query("SELECT number, rating FROM evaluations") == [("A001", 4)]
        assert rig.memory.durable.prompts() == []
    finally:
        rig.close()


# ------------------------------------------------------------------ evaluator prompts


def finish_with_the_evaluator_unplugged(rig: PadRig) -> None:
    for key in (Key.CALL_NEXT, Key.START):
        rig.press(1, key)
    rig.settle()
    rig.sim.set_silent(2)  # the evaluator cannot be told yet
    rig.press(1, Key.FINISH)
    rig.settle()
    assert [p.number for p in rig.memory.durable.prompts()] == ["A001"]
    assert rig.sim.evaluating(2) is None


def test_a_prompt_pending_when_pads_stop_is_sent_after_the_restart(tmp_path: Path) -> None:
    rig = make(tmp_path)
    try:
        finish_with_the_evaluator_unplugged(rig)
        rig.stop_pads()  # `hall pads` goes away with the prompt not sent
        rig.sim.set_silent(2, False)
        rig.start_pads()
        assert wait_for(lambda: rig.sim.evaluating(2) == "A001")
        rig.sim.rate(2, 5)
        rig.settle()
        assert rig.query("SELECT number, rating FROM evaluations") == [("A001", 5)]
        assert wait_for(lambda: rig.memory.durable.prompts() == [])
    finally:
        rig.close()


def test_an_old_prompt_is_settled_as_no_rating_once(tmp_path: Path) -> None:
    rig = make(tmp_path, eval_reprompt_s=0)  # every pending prompt counts as old
    try:
        finish_with_the_evaluator_unplugged(rig)
        rig.stop_pads()
        rig.sim.set_silent(2, False)
        rig.start_pads()
        assert wait_for(lambda: rig.memory.durable.prompts() == [])
        rig.settle()
        assert rig.query("SELECT number, rating FROM evaluations") == [("A001", None)]
        assert rig.sim.evaluating(2) is None  # nobody is asked any more
        rig.stop_pads()
        rig.start_pads()  # nothing left to settle: no second record
        rig.settle()
        assert len(rig.query("SELECT * FROM evaluations")) == 1
    finally:
        rig.close()


def test_signing_out_cancels_a_pending_prompt(tmp_path: Path) -> None:
    rig = make(tmp_path)
    try:
        finish_with_the_evaluator_unplugged(rig)
        rig.press(1, Key.LOGOUT)
        rig.settle()
        assert rig.memory.durable.prompts() == []
    finally:
        rig.close()


# ------------------------------------------------------------------ the hub away


def test_presses_during_a_hub_outage_are_held_and_applied_in_order(tmp_path: Path) -> None:
    rig = make(tmp_path)
    try:
        rig.hub_down()
        rig.press(1, Key.CALL_NEXT)  # waits command_timeout_s (2 s), then is held
        rig.expect(1, "网络故障", "按键已暂存", timeout=5)
        rig.press(1, Key.START)  # the outage is known: held at once, behind the first
        assert wait_for(lambda: held_rows(rig) == 2)
        rig.expect(1, "空闲", "暂存2键 待发送", timeout=3)
        assert rig.sim.pending_events(1) == 0  # acknowledged: the pad's store stays free
        assert rig.called() == []
        rig.hub_up()
        rig.expect(1, "A001 办理中", "等候 3 人", timeout=15)
        assert rig.called("1") == ["A001"]
        assert held_rows(rig) == 0
        assert_once(rig)
    finally:
        rig.close()


def test_a_held_call_that_is_too_old_is_dropped_and_the_pad_says_so(tmp_path: Path) -> None:
    rig = make(tmp_path, held_call_s=0)  # every held call is too old at once
    try:
        rig.hub_down()
        rig.press(1, Key.CALL_NEXT)
        rig.expect(1, "按键未生效", "呼叫已过时", timeout=15)
        assert wait_for(lambda: rig.sim.v1[1].beeps >= 4)  # the outage's and the drop's
        assert held_rows(rig) == 0
        rig.hub_up()
        rig.settle()
        assert rig.called() == []  # the hub back: nothing is called behind the staff's back
        rig.expect(1, "空闲", "等候 4 人", timeout=3)
    finally:
        rig.close()


def test_a_counter_holds_a_bounded_number_of_presses(tmp_path: Path) -> None:
    rig = make(tmp_path, held_max=1)
    try:
        rig.hub_down()
        rig.press(1, Key.CALL_NEXT)
        assert wait_for(lambda: held_rows(rig) == 1, timeout=5)
        rig.press(1, Key.RECALL)  # refused at once: the pad says it did nothing
        rig.expect(1, "按键未生效", "网络故障", timeout=3)
        assert wait_for(lambda: rig.sim.pending_events(1) == 0) and held_rows(rig) == 1
    finally:
        rig.close()


def test_held_presses_outlive_a_restart_of_the_pads(tmp_path: Path) -> None:
    rig = make(tmp_path)
    try:
        rig.hub_down()
        rig.press(3, Key.CALL_NEXT)
        assert wait_for(lambda: held_rows(rig) == 1, timeout=5)
        rig.stop_pads()
        rig.hub_up()
        rig.start_pads()
        rig.expect(3, "A001 已呼叫", timeout=15)
        assert rig.called("2") == ["A001"] and held_rows(rig) == 0
        assert_once(rig)
    finally:
        rig.close()


# ------------------------------------------------------------------ noise in the service


def test_rating_keys_from_a_pad_are_counted_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "counter_pad")
    rig = make(tmp_path)
    try:
        for _ in range(10):
            rig.press(1, Key.RATING_3)
        rig.settle()
        assert rig.service.stats["ignored_keys"] == 10
        logged = [r for r in caplog.records if "keys of the wrong kind" in r.getMessage()]
        assert len(logged) == 1
        assert rig.query("SELECT * FROM evaluations") == []
    finally:
        rig.close()
