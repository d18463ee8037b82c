"""A USB numeric keypad as a counter's pad: recorded evdev events through drivers.input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from evdev import InputEvent, ecodes

from counter_pad.keys import Key, KeyEvent
from counter_pad.memory import InMemoryPadMemory
from counter_pad.settings import Keypad
from counter_pad.usb_keypad import KeymapError, KeypadLink, typed_names
from drivers.input.simulator import SimulatedDevice
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(60)


def recorded(*names: str, start: float = 1_800_000_000.0) -> list[InputEvent]:
    """What a keypad sends for these keys: scan code, key down, report, key up, report."""
    out: list[InputEvent] = []
    t = start
    for name in names:
        code = ecodes.ecodes[name]
        sec, usec = int(t), int((t % 1) * 1e6)
        for value in (1, 0):
            out += [
                InputEvent(sec, usec, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code),
                InputEvent(sec, usec, ecodes.EV_KEY, code, value),
                InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
            ]
        t += 0.15
    return out


def digits(text: str) -> list[str]:
    return [f"KEY_KP{c}" for c in text]


class Plug:
    """The keypad as the reader finds it: a new simulated device after each replug."""

    def __init__(self) -> None:
        self.device = SimulatedDevice("USB Keypad", "/dev/input/sim-kp")

    def open(self) -> SimulatedDevice:
        if self.device.unplugged:
            raise FileNotFoundError(2, "no such device")
        return self.device

    def replug(self) -> None:
        self.device = SimulatedDevice("USB Keypad", "/dev/input/sim-kp")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[PadRig, Plug]]:
    keypad = {"name": "kp1", "device": "/dev/input/sim-kp", "counter": "2"}
    r = PadRig(tmp_path, {1: ("1", "call_pad")}, start=False, pads_extra={"keypads": [keypad]})
    plug = Plug()
    r.start_pads(keypad_opener=lambda name: plug.open)
    yield r, plug
    r.close()


def type_on(rig: PadRig, plug: Plug, *names: str) -> None:
    assert rig.pads is not None
    link = rig.pads.keypads["kp1"]
    before = link.stats["keys"]
    plug.device.feed(recorded(*names))
    assert wait_for(lambda: link.stats["keys"] == before + len(names))
    assert wait_for(lambda: rig.service.idle() and not rig.memory.journal_pending("kp1"))


def test_a_keypad_runs_a_counter(rig: tuple[PadRig, Plug]) -> None:
    r, plug = rig
    r.issue("SB-001", 3)
    assert wait_for(lambda: plug.device.grabbed)
    type_on(r, plug, "KEY_KPENTER")  # not signed in: refused, nothing called
    type_on(r, plug, *digits("1002"), "KEY_KPASTERISK")
    assert wait_for(lambda: r.counter_state("2")["staff"] == "1002")
    type_on(r, plug, "KEY_KPENTER")
    assert wait_for(lambda: r.called("2") == ["A001"])
    type_on(r, plug, "KEY_KP1", "KEY_KPASTERISK")  # start
    type_on(r, plug, "KEY_KP2", "KEY_KPASTERISK")  # finish
    type_on(r, plug, *digits("003"), "KEY_KPENTER")  # call A003
    type_on(r, plug, "KEY_KPPLUS")  # recall
    type_on(r, plug, "KEY_KP7", "KEY_BACKSPACE", "KEY_KPMINUS")  # typed 7, cancelled; pause
    assert wait_for(lambda: r.called("2") == ["A001", "A003"])
    state = r.counter_state("2")
    assert state["state"] == "paused" and state["current"]["number"] == "A003"
    assert len(r.pad_keys()) == 8  # the refused first press too


def test_a_pulled_keypad_is_reported_and_works_again(rig: tuple[PadRig, Plug]) -> None:
    r, plug = rig
    assert wait_for(lambda: plug.device.grabbed)
    plug.device.unplug()
    assert wait_for(
        lambda: (
            r.query("SELECT kind, ok FROM devices WHERE device = 'pads-1/kp1/1'") == [("pad", 0)]
        )
    )
    plug.replug()
    assert wait_for(lambda: plug.device.grabbed, timeout=5)
    type_on(r, plug, *digits("1002"), "KEY_KPASTERISK")
    assert wait_for(lambda: r.counter_state("2")["staff"] == "1002")
    assert r.query("SELECT ok FROM devices WHERE device = 'pads-1/kp1/1'") == [(1,)]


def test_presses_left_in_the_journal_are_replayed_with_their_keys() -> None:
    journal = InMemoryPadMemory()
    left = KeyEvent("kp1", 1, 4, 2, Key.CALL_NEXT, epoch=20261127, serial=2)
    journal.journal_add(left)
    got: list[KeyEvent] = []
    spec = Keypad.model_validate({"name": "kp1", "device": "/x", "counter": "1"})
    plug = Plug()
    link = KeypadLink(spec, journal, got.append, opener=plug.open).start()
    try:
        assert got[0] == left and journal.journal_pending("kp1") == []
        assert link.session == 1
        link.type_key("enter")
        assert got[1].idempotency_key == f"pad/kp1/1/1-0-{journal.generation:08x}/1"
    finally:
        link.stop()


def test_keymaps_name_keys_a_keypad_types() -> None:
    assert typed_names({"KEY_KP5": "5", "KEY_KPENTER": "call"}) == {"5": "5", "enter": "call"}
    with pytest.raises(KeymapError, match="not a key a keypad types"):
        typed_names({"KEY_F1": "call"})
    with pytest.raises(KeymapError, match="not an evdev key name"):
        typed_names({"KEY_NOPE": "call"})
    with pytest.raises(KeymapError, match="like another key"):
        typed_names({"KEY_ENTER": "call", "KEY_KPENTER": "recall"})
