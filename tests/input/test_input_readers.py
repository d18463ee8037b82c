"""The evdev reader on simulated devices (grab, unplug, replug) and the serial reader on ptys."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.input import InputConfig, InputState, Key, Rejected, make_input
from drivers.input.simulator import SimulatedDevice, typed

pytestmark = pytest.mark.timeout(30)


class Collector:
    def __init__(self) -> None:
        self.results: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.states: list[InputState] = []
        self.state_changed = threading.Condition()

    def on_input(self, name: str, result: Any) -> None:
        self.results.put((name, result))

    def on_state(self, name: str, state: InputState, detail: str) -> None:
        with self.state_changed:
            self.states.append(state)
            self.state_changed.notify_all()

    def next(self, timeout: float = 5.0) -> Any:
        return self.results.get(timeout=timeout)[1]

    def wait_state(self, state: InputState, count: int = 1, timeout: float = 5.0) -> None:
        with self.state_changed:
            ok = self.state_changed.wait_for(lambda: self.states.count(state) >= count, timeout)
        assert ok, f"state {state} x{count} not reached: {self.states}"


class Plug:
    """Hands out simulated devices: None means unplugged (open fails)."""

    def __init__(self) -> None:
        self.device: SimulatedDevice | None = SimulatedDevice("Netum Scanner")
        self.opened: list[SimulatedDevice] = []

    def open(self) -> SimulatedDevice:
        if self.device is None or self.device.closed:
            raise FileNotFoundError(2, "No such file or directory")
        self.opened.append(self.device)
        return self.device


@pytest.fixture
def collector() -> Collector:
    return Collector()


def test_scans_arrive_grabbed_and_decoded(collector: Collector) -> None:
    plug = Plug()
    cfg = InputConfig("scanner-1", min_length=4, retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state, opener=plug.open).start()
    try:
        collector.wait_state(InputState.READY)
        assert plug.device is not None and plug.device.grabbed
        plug.device.feed(typed("CQ1.abc.DEF"))
        plug.device.feed(typed("11010519491231002X"))
        assert collector.next().text == "CQ1.abc.DEF"
        assert collector.next().text == "11010519491231002X"
    finally:
        source.stop()
    assert plug.device.closed and not plug.device.grabbed
    assert collector.states[-1] is InputState.STOPPED


def test_unplug_and_replug_survive(collector: Collector) -> None:
    plug = Plug()
    cfg = InputConfig("scanner-1", min_length=1, retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state, opener=plug.open).start()
    try:
        collector.wait_state(InputState.READY)
        first = plug.device
        assert first is not None
        first.feed(typed("abc", enter=False))  # a partial line, then the cable is pulled
        time.sleep(0.1)
        first.unplug()
        plug.device = None
        collector.wait_state(InputState.UNPLUGGED)
        time.sleep(0.2)  # several reopen attempts fail meanwhile
        assert collector.states.count(InputState.ABSENT) == 1  # reported once, not per retry
        plug.device = SimulatedDevice("Netum Scanner", "/dev/input/sim1")
        collector.wait_state(InputState.READY, count=2)
        plug.device.feed(typed("482913"))
        assert collector.next().text == "482913"  # the old partial "abc" is gone
        assert first.closed
    finally:
        source.stop()


def test_device_held_by_someone_else_is_busy_then_ready(collector: Collector) -> None:
    plug = Plug()
    assert plug.device is not None
    plug.device.busy = True
    cfg = InputConfig("scanner-1", retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state, opener=plug.open).start()
    try:
        collector.wait_state(InputState.BUSY)
        plug.device = SimulatedDevice("Netum Scanner")
        collector.wait_state(InputState.READY)
    finally:
        source.stop()


def test_human_typing_on_a_scanner_is_dropped(collector: Collector) -> None:
    plug = Plug()
    cfg = InputConfig("scanner-1", reject_human_speed=True, max_key_gap_ms=60, retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state, opener=plug.open).start()
    try:
        collector.wait_state(InputState.READY)
        assert plug.device is not None
        plug.device.feed(typed("482913", gap=0.15))
        plug.device.feed(typed("482913", gap=0.003, start=1_800_000_010.0))
        assert collector.next() == Rejected("human_speed", 6)
        assert collector.next().text == "482913"
        assert source.rejected == {"human_speed": 1}
    finally:
        source.stop()


def test_keypad_role_delivers_keys(collector: Collector) -> None:
    plug = Plug()
    cfg = InputConfig("keypad-1", role="keypad", retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state, opener=plug.open).start()
    try:
        collector.wait_state(InputState.READY)
        assert plug.device is not None
        plug.device.feed(typed("12"))
        assert [collector.next() for _ in range(3)] == [Key("1"), Key("2"), Key("enter")]
    finally:
        source.stop()


def test_unknown_kind_and_role() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        make_input(InputConfig("x", kind="bluetooth"), lambda n, r: None)
    with pytest.raises(ValueError, match="unknown role"):
        make_input(InputConfig("x", role="mouse"), lambda n, r: None)


def test_missing_evdev_path_is_absent(collector: Collector) -> None:
    cfg = InputConfig("scanner-1", path="/dev/input/does-not-exist", retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state).start()
    try:
        collector.wait_state(InputState.ABSENT)
    finally:
        source.stop()


# --- serial mode on pty pairs -------------------------------------------------------------


class Pty:
    def __init__(self, link: Path) -> None:
        self.master, self.slave = os.openpty()
        self.link = link
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self.slave))

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    made = Pty(tmp_path / "ttyScanner")
    yield made
    made.close()


def test_serial_scanner_lines(pty: Pty, collector: Collector) -> None:
    cfg = InputConfig("scanner-2", kind="serial", path=str(pty.link), min_length=4, retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state).start()
    try:
        collector.wait_state(InputState.READY)
        time.sleep(0.05)
        pty.send(b"CQ1.abc")
        pty.send(b".def\r\n482913\r")
        pty.send(b"\n12\n")
        assert collector.next().text == "CQ1.abc.def"
        assert collector.next().text == "482913"
        assert collector.next() == Rejected("too_short", 2)
    finally:
        source.stop()


def test_serial_scanner_unplug_and_replug(tmp_path: Path, collector: Collector) -> None:
    first = Pty(tmp_path / "ttyScanner")
    cfg = InputConfig("scanner-2", kind="serial", path=str(first.link), retry_s=0.05, min_length=1)
    source = make_input(cfg, collector.on_input, collector.on_state).start()
    second: Pty | None = None
    try:
        collector.wait_state(InputState.READY)
        first.close()  # the USB serial device goes away: the port read fails
        collector.wait_state(InputState.UNPLUGGED)
        second = Pty(tmp_path / "ttyScanner")  # back, under the same (by-id) link
        collector.wait_state(InputState.READY, count=2)
        time.sleep(0.05)
        second.send(b"482913\r\n")
        assert collector.next().text == "482913"
    finally:
        source.stop()
        first.close()
        if second is not None:
            second.close()


def test_serial_port_that_does_not_exist(collector: Collector) -> None:
    cfg = InputConfig("scanner-2", kind="serial", path="/dev/ttyNOPE9", retry_s=0.05)
    source = make_input(cfg, collector.on_input, collector.on_state).start()
    try:
        collector.wait_state(InputState.ABSENT)
    finally:
        source.stop()
