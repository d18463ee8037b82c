"""The master against the simulator on a pty: busy answers, a reboot that draws the same
boot id, and line noise counted and logged at a sane rate."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from tests.pads.padbus import PadBus, wait_for

PAD = v1.DeviceType.CALL_PAD
EVAL = v1.DeviceType.EVALUATOR
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def bus() -> Iterator[PadBus]:
    b = PadBus({1: PAD, 2: EVAL}, offline_poll_interval=0.3)
    b.start_master()
    assert wait_for(lambda: b.online(1) and b.online(2))
    yield b
    b.close()


def records(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# ------------------------------------------------------------------ busy (NAK 3)


def test_a_busy_show_is_retried_and_each_nak_logged(
    bus: PadBus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "counter_pad")
    assert bus.master is not None
    bus.sim.busy(1, 3)
    bus.master.show(1, "A1220 已呼叫", "等候 5 人")
    assert wait_for(lambda: bus.sim.display(1) == ("A1220 已呼叫", "等候 5 人"))
    assert bus.master.stats["busy"] == 3 and bus.master.stats["busy_failures"] == 0
    assert len(records(caplog, "busy (NAK 3) for show")) == 3


def test_a_device_that_stays_busy_gets_its_display_later(
    bus: PadBus, caplog: pytest.LogCaptureFixture
) -> None:
    assert bus.master is not None
    caplog.set_level(logging.WARNING, "counter_pad")
    bus.sim.busy(1, 6)  # past three retries: failing this cycle, tried again after 0.3 s
    bus.master.show(1, "A1220 已呼叫", "等候 5 人")
    assert wait_for(lambda: bus.sim.display(1) == ("A1220 已呼叫", "等候 5 人"), timeout=5)
    assert bus.master.stats["busy"] == 6 and bus.master.stats["busy_failures"] == 1
    assert records(caplog, "stays busy (NAK 3); show sent again"), caplog.text


def test_a_newer_show_replaces_an_unsent_one(bus: PadBus) -> None:
    assert bus.master is not None
    bus.sim.busy(1, 2)
    bus.master.show(1, "A001 已呼叫", "等候 5 人")
    bus.master.show(1, "A001 办理中", "等候 5 人")
    assert wait_for(lambda: bus.sim.display(1) == ("A001 办理中", "等候 5 人"))


def test_a_busy_evaluator_is_asked_again(bus: PadBus) -> None:
    assert bus.master is not None
    bus.sim.busy(2, 3)
    bus.master.eval_start(2, "A012")
    assert wait_for(lambda: bus.sim.evaluating(2) == "A012")
    assert bus.master.stats["busy"] == 3
    bus.sim.rate(2, 5)  # the rating ends the evaluation: nothing is asked again
    assert wait_for(lambda: [k.key for k in bus.taken(2)] == [Key.RATING_5])
    assert bus.taken(2)[0].arg == "A012"
    bus.sim.reboot(2)
    assert wait_for(lambda: bus.master is not None and bus.master.stats["busy"] == 3)
    assert bus.sim.evaluating(2) is None


def test_an_evaluator_that_reboots_mid_evaluation_is_asked_again(bus: PadBus) -> None:
    assert bus.master is not None
    bus.master.eval_start(2, "B007")
    assert wait_for(lambda: bus.sim.evaluating(2) == "B007")
    bus.sim.reboot(2)
    assert bus.sim.evaluating(2) is None
    assert wait_for(lambda: bus.sim.evaluating(2) == "B007")


def test_a_beep_that_stays_busy_is_dropped(bus: PadBus) -> None:
    assert bus.master is not None
    bus.sim.busy(1, 4)
    bus.master.beep(1, 2)
    assert wait_for(lambda: bus.master is not None and bus.master.stats["busy_failures"] == 1)
    bus.master.beep(1, 1)
    assert wait_for(lambda: bus.sim.v1[1].beeps == 1, timeout=3)


# ------------------------------------------------------------------ reboots


def test_a_reboot_that_draws_the_same_boot_id_is_a_new_boot(
    bus: PadBus, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        bus.sim.press(1, Key.RECALL)
    assert wait_for(lambda: len(bus.taken(1)) == 5 and bus.sim.pending_events(1) == 0)
    assert wait_for(lambda: seen_clear(bus))  # the master has seen this boot's BOOTED clear
    boot = bus.sim.v1[1].boot_id
    bus.sim.reboot(1, same_boot_id=True)
    assert bus.sim.v1[1].boot_id == boot
    bus.sim.press(1, Key.CALL_NEXT)  # number 1 again: behind the cursor (5)
    bus.sim.press(1, Key.FINISH)
    assert wait_for(lambda: len(bus.taken(1)) == 7), [k.key for k in bus.taken(1)]
    new = bus.taken(1)[5:]
    assert [(k.key, k.event_no, k.serial) for k in new] == [
        (Key.CALL_NEXT, 1, 6),  # numbered from 1 again; the serial goes on: a new key
        (Key.FINISH, 2, 7),
    ]
    assert new[0].boot_id == boot and new[0].idempotency_key != bus.taken(1)[0].idempotency_key
    assert bus.master is not None and bus.master.stats["same_boot_reboots"] == 1
    assert wait_for(lambda: bus.sim.pending_events(1) == 0)  # acknowledged: no lock-up
    assert records(caplog, "drew the same boot id")


def seen_clear(bus: PadBus) -> bool:
    cursor = bus.memory.get("t", 1)
    return cursor is not None and cursor.clear_seen


def test_booted_seen_clear_survives_a_restart_of_the_master(bus: PadBus) -> None:
    bus.sim.press(1, Key.RECALL)
    assert wait_for(lambda: len(bus.taken(1)) == 1 and bus.sim.pending_events(1) == 0)
    assert wait_for(lambda: seen_clear(bus))  # written to the memory
    bus.stop_master()
    bus.sim.reboot(1, same_boot_id=True)
    bus.sim.press(1, Key.CALL_NEXT)
    bus.start_master()  # the same memory: it knows this boot was seen with BOOTED clear
    assert wait_for(lambda: len(bus.taken(1)) == 2)
    assert bus.taken(1)[1].key == Key.CALL_NEXT


def test_firmware_that_hides_booted_is_logged_at_a_sane_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device that clears BOOTED before it replies makes a same-id reboot invisible: its
    first presses are skipped as repeats until its numbers pass the cursor (an accepted
    risk, docs/PAD_PROTOCOL.md). Its full store is logged once, not at every poll."""
    caplog.set_level(logging.WARNING, "counter_pad")
    b = PadBus({1: PAD}, booted_until_reply=False)
    try:
        b.start_master()
        for _ in range(20):
            b.sim.press(1, Key.RECALL)
            assert wait_for(lambda: b.sim.pending_events(1) == 0)
        b.sim.reboot(1, same_boot_id=True)
        assert b.master is not None
        master = b.master
        for _ in range(200):  # staff keep pressing a pad that looks dead: its store is full
            b.sim.press(1, Key.CALL_NEXT)
            time.sleep(0.005)
        assert wait_for(lambda: master.stats["overflow"] >= 20, timeout=10)
        assert len(records(caplog, "events were lost")) == 1  # and a summary a minute
        assert len(b.taken(1)) == 20
    finally:
        b.close()


# ------------------------------------------------------------------ noise


def frame_at(address: int) -> bytes:
    return v1.encode_events(address, 0x33, 0, 0x1234, [])


def test_line_noise_is_counted_and_logged_at_a_sane_rate(
    bus: PadBus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "counter_pad")
    assert bus.master is not None
    master = bus.master
    bad = bytearray(frame_at(1))
    bad[-1] ^= 0xFF
    for _ in range(60):
        bus.sim.inject(b"\x00\x13junk\xff")
        bus.sim.inject(bytes(bad))  # a bad CRC
        bus.sim.inject(frame_at(17))  # a device nobody configured
        bus.sim.press(1, Key.RECALL)
        assert wait_for(lambda: bus.sim.pending_events(1) == 0)
    assert len(bus.taken(1)) == 60  # every press acted on once through it all
    for kind in ("noise_bytes", "bad_crc", "foreign_frames"):
        assert master.stats[kind] > 0, (kind, master.stats)
    noise = [r for r in caplog.records if r.name.startswith("counter_pad")]
    assert 3 <= len(noise) <= 6, [r.getMessage() for r in noise]  # first of each kind only
    assert records(caplog, "frames from unconfigured addresses (address 17)")
