"""The real bus master against the simulator over pty pairs: every press acted on once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.memory import InMemoryPadMemory
from tests.pads.padbus import PadBus, wait_for

PAD = v1.DeviceType.CALL_PAD
pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def bus() -> Iterator[PadBus]:
    b = PadBus({1: PAD, 2: PAD, 3: PAD, 4: v1.DeviceType.EVALUATOR})
    b.start_master()
    assert wait_for(lambda: all(b.online(a) for a in (1, 2, 3, 4)))
    yield b
    b.close()


def assert_once(bus: PadBus) -> None:
    keys = Counter(k.idempotency_key for k in bus.taken())
    assert all(n == 1 for n in keys.values()), keys


def test_presses_are_delivered_once_in_order(bus: PadBus) -> None:
    bus.sim.press(1, Key.LOGIN, "1234")
    bus.sim.press(1, Key.CALL_NEXT)
    bus.sim.press(2, Key.CALL_NUMBER, "A012")
    bus.sim.press(3, Key.TRANSFER, "SB-001"[:8])
    assert wait_for(lambda: len(bus.taken()) == 4)
    assert [(k.key, k.arg, k.event_no) for k in bus.taken(1)] == [
        (Key.LOGIN, "1234", 1),
        (Key.CALL_NEXT, "", 2),
    ]
    boot = bus.sim.v1[2].boot_id
    gen = bus.memory.generation
    assert bus.taken(2)[0].idempotency_key == f"pad/t/2/{boot}-0-{gen:08x}/1"
    assert wait_for(lambda: all(bus.sim.pending_events(a) == 0 for a in (1, 2, 3)))
    time.sleep(0.2)
    assert_once(bus)


def test_show_beep_and_evaluation(bus: PadBus) -> None:
    assert bus.master is not None
    bus.master.show(1, "A012 办理中", "等候 5 人")
    bus.master.beep(1, 2)
    bus.master.eval_start(4, "A012")
    assert wait_for(lambda: bus.sim.display(1) == ("A012 办理中", "等候 5 人"))
    assert wait_for(lambda: bus.sim.v1[1].beeps == 2 and bus.sim.v1[4].eval_ticket == "A012")
    bus.sim.rate(4, 5)
    assert wait_for(lambda: len(bus.taken(4)) == 1)
    (rating,) = bus.taken(4)
    assert (rating.key, rating.arg, rating.rating) == (Key.RATING_5, "A012", 5)
    bus.master.eval_cancel(4)
    bus.master.eval_start(1, "A013")  # a call-pad refuses: NAK, counted, nothing breaks
    assert wait_for(lambda: bus.master is not None and bus.master.stats["nak"] == 1)


def test_broadcast_show_reaches_all_without_replies(bus: PadBus) -> None:
    assert bus.master is not None
    bus.master.broadcast_show("暂停服务", "请稍候")
    assert wait_for(lambda: all(bus.sim.display(a) == ("暂停服务", "请稍候") for a in (1, 2, 3)))
    bus.master.broadcast_beep(1)
    assert wait_for(lambda: all(bus.sim.v1[a].beeps == 1 for a in (1, 2, 3)))
    assert bus.master.stats["stray_frames"] == 0


def test_lost_replies_and_bad_crcs_act_once(bus: PadBus) -> None:
    for round_ in range(5):
        bus.sim.drop_replies(1, 2)  # the reply carrying the event is lost twice
        bus.sim.corrupt_replies(2, 2)  # and arrives with a bad CRC twice
        bus.sim.press(1, Key.CALL_NEXT)
        bus.sim.press(2, Key.RECALL)
        assert wait_for(lambda r=round_: len(bus.taken()) == 2 * (r + 1))  # type: ignore[misc]
    assert wait_for(lambda: bus.sim.pending_events(1) == bus.sim.pending_events(2) == 0)
    time.sleep(0.2)
    assert len(bus.taken()) == 10
    assert_once(bus)
    assert bus.master is not None and bus.master.stats["retries"] >= 20
    assert all(bus.online(a) for a in (1, 2))  # two misses in a row are not an outage


def test_reboot_mid_stream_takes_new_events_and_resends_display(bus: PadBus) -> None:
    assert bus.master is not None
    bus.master.show(1, "A012 办理中", "等候 2 人")
    bus.sim.press(1, Key.CALL_NEXT)
    bus.sim.press(1, Key.START)
    assert wait_for(lambda: len(bus.taken(1)) == 2)
    old_boot = bus.sim.v1[1].boot_id
    bus.sim.reboot(1)
    assert bus.sim.display(1) == ("", "")
    bus.sim.press(1, Key.FINISH)  # number 1 again, under the new boot id
    assert wait_for(lambda: len(bus.taken(1)) == 3)
    new = bus.taken(1)[2]
    assert (new.key, new.event_no, new.boot_id) == (Key.FINISH, 1, bus.sim.v1[1].boot_id)
    assert new.boot_id != old_boot
    assert wait_for(lambda: bus.sim.display(1) == ("A012 办理中", "等候 2 人"))
    time.sleep(0.2)
    assert_once(bus)


def test_silent_pad_goes_offline_and_the_others_keep_their_pace(bus: PadBus) -> None:
    assert bus.master is not None
    bus.master.show(2, "A020 办理中", "等候 1 人")
    time.sleep(0.3)
    before = bus.sim.heard[1]
    time.sleep(1.0)
    pace = bus.sim.heard[1] - before
    bus.sim.set_silent(2)
    assert wait_for(lambda: not bus.online(2), timeout=5.0)
    assert wait_for(lambda: (2, False) in bus.status_changes)
    bus.sim.press(2, Key.PAUSE)  # held by the pad while unplugged
    before = bus.sim.heard[1]
    start = time.monotonic()
    bus.sim.press(3, Key.CALL_NEXT)
    assert wait_for(lambda: len(bus.taken(3)) == 1)
    latency = time.monotonic() - start
    time.sleep(1.0 - latency)
    assert bus.sim.heard[1] - before >= 0.6 * pace  # the outage costs the others little
    assert latency < 1.0  # not held behind the silent pad's timeouts (generous: a busy box)
    bus.sim.set_silent(2, False)
    assert wait_for(lambda: bus.online(2), timeout=3.0)
    assert wait_for(lambda: (2, True) in bus.status_changes)
    assert wait_for(lambda: [k.key for k in bus.taken(2)] == [Key.PAUSE])
    assert bus.sim.display(2) == ("A020 办理中", "等候 1 人")


def test_offline_device_is_polled_every_two_seconds(bus: PadBus) -> None:
    bus.sim.set_silent(3)
    assert wait_for(lambda: not bus.online(3), timeout=5.0)
    assert bus.master is not None
    # the requests device 3 got (not the master's timeouts of all devices: on a loaded box
    # a slow turn can time others out too)
    tries = bus.sim.addressed[3]
    time.sleep(4.1)
    assert 1 <= bus.sim.addressed[3] - tries <= 3


def test_restart_with_the_same_memory_takes_nothing_twice() -> None:
    memory = InMemoryPadMemory()
    bus = PadBus({1: PAD, 2: PAD}, memory=memory)
    try:
        bus.stop_after_key = True  # the master dies right after acting, before its next ACK
        bus.sim.press(1, Key.CALL_NEXT)
        bus.sim.press(2, Key.SKIP)
        bus.start_master()
        assert wait_for(lambda: len(bus.taken()) >= 1)
        bus.stop_master()
        first = bus.taken()
        assert bus.sim.pending_events(first[0].address) == 1  # not yet acknowledged
        bus.stop_after_key = False
        bus.start_master()  # same memory
        assert wait_for(lambda: bus.sim.pending_events(1) == bus.sim.pending_events(2) == 0)
        time.sleep(0.2)
        assert sorted((k.address, k.key) for k in bus.taken()) == [
            (1, Key.CALL_NEXT),
            (2, Key.SKIP),
        ]
        assert_once(bus)
    finally:
        bus.close()


def test_a_restart_with_its_memory_repeats_the_keys_and_without_it_does_not() -> None:
    """The memory's generation is in every key: the same memory gives the same keys (the hub
    answers a repeat from its store); a lost memory gives new ones, never a key of a press
    the hub already holds (a wrapped pad's next presses would otherwise be answered without
    acting, docs/PAD_PROTOCOL.md "Idempotency keys")."""
    bus = PadBus({1: PAD}, auto_confirm=False)  # the hub never answers: never confirmed
    try:
        bus.sim.press(1, Key.CALL_NEXT)
        bus.start_master()
        assert wait_for(lambda: len(bus.taken()) == 1)
        bus.stop_master()
        bus.start_master()  # the same memory: the press is taken again
        assert wait_for(lambda: len(bus.taken()) == 2)
        bus.stop_master()
        lost = InMemoryPadMemory()
        bus.start_master(memory=lost)  # a master that lost its memory
        assert wait_for(lambda: len(bus.taken()) == 3)
        a, b, c = bus.taken()
        assert a.idempotency_key == b.idempotency_key  # so the hub's store refuses the second
        assert c.memory == lost.generation != a.memory
        assert c.idempotency_key != a.idempotency_key
    finally:
        bus.close()


def test_31_pads_at_9600_baud() -> None:
    bus = PadBus(dict.fromkeys(range(1, 32), PAD), baud=9600)
    try:
        bus.start_master()
        # ~0.7 s a round at 9600 baud; the limit is for a line that never comes up, with room
        # for a loaded machine (the simulator's replies share the cores with everything)
        assert wait_for(lambda: all(bus.online(a) for a in range(1, 32)), timeout=20)
        for a in range(1, 32):
            bus.sim.press(a, Key.CALL_NUMBER, f"A{a:03d}")
        for _ in range(8):  # a long reply: 8 events with 8-byte ARGs takes ~66 ms at 9600
            bus.sim.press(5, Key.TRANSFER, "ABCDEFGH")
        assert wait_for(lambda: len(bus.taken()) == 31 + 8, timeout=20)
        assert_once(bus)
        assert [k.arg for k in bus.taken(7)] == ["A007"]
    finally:
        bus.close()


@pytest.mark.allow_logged_exceptions
def test_a_failing_on_key_is_retried_not_lost(
    bus: PadBus, caplog: pytest.LogCaptureFixture
) -> None:
    bus.fail_next_key = True
    bus.sim.press(1, Key.CALL_NEXT)
    assert wait_for(lambda: len(bus.taken(1)) == 1)
    assert "on_key failed" in caplog.text
    time.sleep(0.1)
    assert_once(bus)
