"""Every press acts once through line faults, reboots, silent pads and a pulled adapter."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from counter_pad.keys import Key
from tests.pads.rig import PadRig, many_counters_config, wait_for

pytestmark = pytest.mark.timeout(90)
PAD = "call_pad"


def assert_once(rig: PadRig) -> None:
    keys = rig.pad_keys()
    dup = [k for k, n in Counter(keys).items() if n > 1]
    assert not dup, dup
    calls = Counter(rig.called())
    assert all(n == 1 for n in calls.values()), calls


def test_31_pads_with_lost_replies_bad_crcs_and_a_reboot(tmp_path: Path) -> None:
    config = many_counters_config(tmp_path / "cfg", 31)
    pads = {a: (str(a), PAD) for a in range(1, 32)}
    rig = PadRig(tmp_path, pads, baud=38400, config_path=config)
    try:
        rig.issue("SB-001", 70)
        for a in pads:
            rig.press(a, Key.LOGIN, f"{1000 + a}")
        rig.settle(timeout=15)
        for a in range(1, 6):
            rig.sim.drop_replies(a, 2)  # the reply with the press is lost twice
        for a in range(6, 11):
            rig.sim.corrupt_replies(a, 2)  # and arrives with a bad CRC twice
        rig.press(11, Key.CALL_NEXT)
        assert wait_for(lambda: rig.sim.pending_events(11) == 0, 5)
        rig.sim.reboot(11)  # mid-stream: numbering starts again under a new boot id
        for a in pads:
            rig.press(a, Key.CALL_NEXT)
        rig.settle(timeout=15)
        numbers = rig.called()
        assert len(numbers) == 32 and len(set(numbers)) == 32
        assert Counter(c["counter"] for c in rig.calls) == {
            **{str(a): 1 for a in pads},
            "11": 2,
        }
        for a in pads:
            (last,) = [c["number"] for c in rig.calls if c["counter"] == str(a)][-1:]
            rig.expect(a, f"{last} 已呼叫", timeout=10)  # 31 displays share a slow line
        assert_once(rig)
        assert len(rig.pad_keys()) == 31 + 32
        master = rig.pads.masters["b1"] if rig.pads else None
        assert master is not None and master.stats["retries"] >= 20
    finally:
        rig.close()


def test_a_silent_pad_is_reported_and_the_others_keep_their_pace(tmp_path: Path) -> None:
    config = many_counters_config(tmp_path / "cfg", 8)
    rig = PadRig(tmp_path, {a: (str(a), PAD) for a in range(1, 9)}, config_path=config)
    try:
        rig.issue("SB-001", 20)
        for a in range(1, 9):
            rig.press(a, Key.LOGIN, f"{1000 + a}")
        rig.settle()
        rig.sim.set_silent(2)
        assert wait_for(
            lambda: (
                rig.query("SELECT ok, state FROM devices WHERE device = 'pads-1/b1/2'")
                == [(0, "offline")]
            )
        )
        rig.press(2, Key.CALL_NEXT)  # held by the unplugged pad
        for a in (1, 3, 4, 5, 6, 7, 8):
            t0 = time.monotonic()
            rig.press(a, Key.CALL_NEXT)
            assert wait_for(lambda a=a: len(rig.called(str(a))) == 1, 5)  # type: ignore[misc]
            assert time.monotonic() - t0 < 1.5  # not behind the silent pad (a busy box: slack)
        rig.sim.set_silent(2, False)
        rig.settle()
        assert len(rig.called("2")) == 1
        rig.expect(2, f"{rig.called('2')[0]} 已呼叫")
        assert wait_for(
            lambda: rig.query("SELECT ok FROM devices WHERE device = 'pads-1/b1/2'") == [(1,)]
        )
        assert_once(rig)
    finally:
        rig.close()


def test_the_adapter_is_unplugged_and_comes_back(tmp_path: Path) -> None:
    rig = PadRig(tmp_path, {1: ("1", PAD), 2: ("2", PAD), 3: ("3", PAD)})
    try:
        rig.issue("SB-001", 5)
        rig.issue("YB-001", 5)
        for a in (1, 2, 3):
            rig.press(a, Key.LOGIN, f"{1000 + a}")
        rig.settle()
        rig.press(1, Key.CALL_NEXT)
        rig.expect(1, "A001 已呼叫")
        rig.line.unplug()  # the port disappears
        assert wait_for(
            lambda: len(rig.query("SELECT * FROM devices WHERE ok = 0 AND state = 'offline'")) == 3
        )
        rig.press(1, Key.START)  # pressed while the adapter is out: kept by the pads
        rig.press(2, Key.CALL_NEXT)
        rig.press(3, Key.CALL_NEXT)
        rig.sim.reboot(3)  # and one pad was power-cycled meanwhile (its press is lost)
        time.sleep(1.5)
        rig.line.replug()  # the same path again, a new pty behind it
        rig.settle(timeout=8)
        rig.expect(1, "A001 办理中")
        rig.expect(2, "A002 已呼叫")
        rig.expect(3, "空闲", "等候 5 人")  # its display is sent again
        assert rig.called() == ["A001", "A002"]
        assert wait_for(lambda: len(rig.query("SELECT * FROM devices WHERE ok = 1")) == 3)
        assert_once(rig)
    finally:
        rig.close()


def test_a_master_that_lost_its_memory_after_a_pad_wrapped_still_acts(tmp_path: Path) -> None:
    """Same day, same boot: a pad past 255 presses, then the memory file is lost. The new
    memory's generation makes new keys; the old scheme recounted serials from the wire
    number and the hub answered the next presses from its store without acting."""
    from counter_pad.memory import SqlitePadMemory

    rig = PadRig(tmp_path, {1: ("1", PAD)})
    try:
        rig.issue("SB-001", 3)
        rig.press(1, Key.LOGIN, "1001")
        rig.press(1, Key.CALL_NEXT)
        rig.settle()
        for _ in range(17):  # 272 more presses: the wire numbers wrap past 255
            for _ in range(16):
                rig.press(1, Key.RECALL)
            rig.settle(timeout=20)
        old = rig.pads.masters["b1"].status()[1].cursor if rig.pads else None
        assert old is not None and old.serial == 274 and old.last_event == 274 - 255
        rig.stop_pads()
        rig.start_pads(memory=SqlitePadMemory(tmp_path / "new.db"))  # the file was lost
        rig.press(1, Key.FINISH)
        rig.press(1, Key.CALL_NEXT)
        rig.settle()
        assert rig.called("1") == ["A001", "A002"]
        assert rig.counter_state("1")["current"]["number"] == "A002"
        rig.expect(1, "A002 已呼叫")
        assert_once(rig)
    finally:
        rig.close()
