"""The master acknowledges a press only once its action is confirmed, in order, and its
idempotency keys stay unique past the wire's 1-255 numbering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.memory import InMemoryPadMemory
from tests.pads.padbus import PadBus, wait_for

PAD = v1.DeviceType.CALL_PAD
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def bus() -> Iterator[PadBus]:
    b = PadBus({1: PAD, 2: PAD}, auto_confirm=False)
    b.start_master()
    assert wait_for(lambda: b.online(1) and b.online(2))
    yield b
    b.close()


def test_presses_stay_on_the_pad_until_confirmed_in_order(bus: PadBus) -> None:
    assert bus.master is not None
    for key in (Key.CALL_NEXT, Key.START, Key.FINISH):
        bus.sim.press(1, key)
    assert wait_for(lambda: len(bus.taken(1)) == 3)
    first, second, third = bus.taken(1)
    assert bus.sim.pending_events(1) == 3  # taken, not yet acknowledged
    bus.master.confirm(second)  # out of order: nothing can be acknowledged yet
    assert bus.memory.get("t", 1) == bus.master.status()[1].cursor
    assert wait_for(lambda: bus.sim.pending_events(1) == 3)
    bus.master.confirm(first)
    assert wait_for(lambda: bus.sim.pending_events(1) == 1)
    cursor = bus.memory.get("t", 1)
    assert cursor is not None and (cursor.last_event, cursor.serial) == (2, 2)
    bus.master.confirm(third)
    assert wait_for(lambda: bus.sim.pending_events(1) == 0)
    assert len(bus.taken(1)) == 3  # repeats of the unacknowledged ones were not taken again


def test_a_confirmation_from_before_a_reboot_is_ignored(bus: PadBus) -> None:
    assert bus.master is not None
    bus.sim.press(2, Key.CALL_NEXT)
    assert wait_for(lambda: len(bus.taken(2)) == 1)
    old = bus.taken(2)[0]
    bus.sim.reboot(2)  # the unacknowledged press is gone with the pad's memory
    bus.sim.press(2, Key.RECALL)
    assert wait_for(lambda: len(bus.taken(2)) == 2)
    bus.master.confirm(old)
    new = bus.taken(2)[1]
    assert bus.sim.pending_events(2) == 1
    bus.master.confirm(new)
    assert wait_for(lambda: bus.sim.pending_events(2) == 0)
    assert (new.boot_id, new.event_no) == (bus.sim.v1[2].boot_id, 1)


def test_keys_stay_unique_past_255_events() -> None:
    bus = PadBus({1: PAD}, memory=InMemoryPadMemory())
    try:
        bus.start_master()
        assert wait_for(lambda: bus.online(1))
        for n in range(300):
            bus.sim.press(1, Key.RECALL)
            if n % 12 == 11:
                assert wait_for(lambda: bus.sim.pending_events(1) == 0)
        assert wait_for(lambda: len(bus.taken()) == 300)
        events = bus.taken()
        assert [e.serial for e in events] == list(range(1, 301))
        assert events[255].event_no == 1 and events[254].event_no == 255
        assert len({e.idempotency_key for e in events}) == 300
        gen = bus.memory.generation
        assert events[0].idempotency_key == f"pad/t/1/{events[0].boot_id}-0-{gen:08x}/1"
    finally:
        bus.close()
