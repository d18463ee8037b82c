"""The legacy profile end to end: key frames echoed, digits and beeps driven, exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_pad import frames_legacy as fl
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(60)
BLANK = "   "
F, CALL = fl.KEY_FUNCTION, fl.KEY_CALL


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[PadRig]:
    r = PadRig(
        tmp_path,
        {1: ("1", "call_pad"), 2: ("2", "call_pad")},
        profile="legacy",
        baud=9600,
        notice_seconds=1.0,
    )
    yield r
    r.close()


def keys(rig: PadRig, address: int, *codes: int) -> None:
    rig.sim.legacy_press(address, *codes)
    assert wait_for(lambda: rig.sim.pending_events(address) == 0)  # every frame echoed
    assert wait_for(rig.service.idle)


def beeps(rig: PadRig, address: int) -> int:
    return rig.sim.legacy[address].beeps


def test_a_counter_day_on_a_legacy_pad(rig: PadRig) -> None:
    rig.issue("SB-001", 3)
    rig.expect(1, BLANK, BLANK)  # not signed in
    keys(rig, 1, CALL)
    assert wait_for(lambda: beeps(rig, 1) == 2)  # 未签到: the pad can only beep
    keys(rig, 1, 1, 0, 0, 1, F)  # sign in as 1001
    rig.expect(1, BLANK, "  3")
    keys(rig, 1, CALL)
    rig.expect(1, "001", "  2")
    keys(rig, 1, 1, F)  # start
    keys(rig, 1, 2, F)  # finish
    rig.expect(1, BLANK, "  2")
    keys(rig, 1, 0, 0, 3, CALL)  # call 003
    rig.expect(1, "003", "  1")
    keys(rig, 1, 0, F)  # hold
    rig.expect(1, BLANK, "  1")
    keys(rig, 1, 3, F)  # call back
    rig.expect(1, "003", "  1")
    before = beeps(rig, 1)
    keys(rig, 1, 6, F)  # 过号 after one call: refused
    assert wait_for(lambda: beeps(rig, 1) == before + 2)
    keys(rig, 1, fl.KEY_RECALL)
    keys(rig, 1, 6, F)  # now it may
    rig.expect(1, BLANK, "  1")
    keys(rig, 1, 9, F)  # no such function: refused by the pad link, beeps
    assert wait_for(lambda: beeps(rig, 1) == before + 4)
    assert rig.called("1") == ["A001", "A003", "A003"]
    state = rig.counter_state("1")
    assert state["staff"] == "1001" and state["current"] is None


def test_transfer_typed_on_the_pad_and_pause(rig: PadRig) -> None:
    rig.issue("SB-001", 2)
    keys(rig, 1, 1, 0, 0, 1, F)
    keys(rig, 2, 1, 0, 0, 2, F)
    keys(rig, 1, CALL)
    rig.expect(1, "001", "  1")
    keys(rig, 1, 2, fl.KEY_TRANSFER)  # to counter 2
    rig.expect(1, BLANK)
    assert rig.query("SELECT target_counter FROM tickets WHERE number = 'A001'") == [("2",)]
    keys(rig, 1, fl.KEY_PAUSE)
    assert rig.counter_state("1")["state"] == "paused"
    keys(rig, 1, 4, F)  # resume
    assert rig.counter_state("1")["state"] == "open"


def test_a_lost_echo_makes_the_pad_repeat_and_the_press_acts_once(rig: PadRig) -> None:
    rig.issue("SB-001", 3)
    keys(rig, 1, 1, 0, 0, 1, F)
    rig.expect(1, BLANK, "  3")  # the display after the sign-in is through
    rig.sim.lose_echoes(1, 1)  # so the next frame to the pad is the key's echo
    rig.sim.legacy_press(1, CALL)
    assert wait_for(lambda: rig.sim.pending_events(1) == 0)
    rig.expect(1, "001", "  2")
    assert rig.pads is not None
    assert rig.pads.legacy["b1"].stats["repeated_frames"] == 1
    keys(rig, 1, fl.KEY_RECALL)
    assert rig.called("1") == ["A001"]
    assert len(rig.pad_keys()) == 3  # sign-in, call, recall


def test_digits_typed_twice_are_two_digits(rig: PadRig) -> None:
    keys(rig, 1, 1, 1, 0, 0, F)  # staff 1100: repeated digits are not repeats
    assert rig.counter_state("1")["staff"] == "1100"
