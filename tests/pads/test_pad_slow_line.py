"""A slow line (9600 baud): the master waits for a reply's bytes in as few wake-ups as
the wire allows. Here the line is a model with its own clock: each reply byte lands when
its last bit would, and every wait of the master (a read that had to wait for a byte, a
sleep) is counted."""

from __future__ import annotations

import random

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.master import BusMaster, MasterSettings
from counter_pad.memory import InMemoryPadMemory
from counter_pad.sim_devices import SimV1Device

TURNAROUND = 0.0005


class WireLine:
    """A port whose bytes take their wire time, on a clock of its own."""

    def __init__(self, addresses: tuple[int, ...], baud: int) -> None:
        self.devices = {
            a: SimV1Device(a, v1.DeviceType.CALL_PAD, random.Random(a)) for a in addresses
        }
        self.byte = v1.wire_time(1, baud)
        self.now = 0.0
        self.waits = 0
        self.incoming: list[tuple[float, int]] = []  # (when it has landed, byte)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits += 1
        self.now += seconds

    def write(self, data: bytes, /) -> int | None:
        (frame,) = v1.Receiver().feed(data)
        end = self.now + self.byte * len(data)
        dev = self.devices.get(frame.addr)
        reply = dev.handle(frame) if dev else None
        start = end + TURNAROUND
        self.incoming = [(start + (i + 1) * self.byte, b) for i, b in enumerate(reply or b"")]
        return len(data)

    def read(self, size: int, timeout: float) -> bytes:
        if not self.incoming:
            self.now += timeout
            return b""
        first = self.incoming[0][0]
        if first > self.now:
            if first > self.now + timeout:
                self.now += timeout
                return b""
            self.waits += 1  # poll() sleeps until the byte lands
            self.now = first
        landed = [b for t, b in self.incoming if t <= self.now][:size]
        self.incoming = self.incoming[len(landed) :]
        return bytes(landed)

    def reset_input_buffer(self) -> None:
        self.incoming = []

    def ask(self, data: bytes, size: int, timeout: float) -> bytes:
        self.write(data)
        return self.read(size, timeout)


@pytest.mark.parametrize("baud", [9600, 19200])
def test_an_idle_poll_on_a_slow_line_costs_two_waits(baud: int) -> None:
    """The first byte, then the rest of the shortest reply (the device's idle reply): not
    a header first and the rest after, nor each byte on its own."""
    line = WireLine((1, 2, 3), baud)
    keys: list[Key] = []
    master = BusMaster(
        line,
        MasterSettings("slow", addresses=(1, 2, 3), baud=baud),
        InMemoryPadMemory(),
        lambda e: keys.append(e.key),
        clock=line.clock,
        sleep=line.sleep,
    )
    for _ in range(4):
        master.step()  # HELLO, the first POLLs, then idle
    waits, started = line.waits, line.now
    for _ in range(10):
        master.step()
    assert line.waits - waits == 2 * 30
    per_poll = (line.now - started) / 30
    wire = v1.wire_time(10 + 11, baud) + TURNAROUND
    assert wire - 1e-9 <= per_poll < wire + 0.1 * line.byte  # read as the last byte lands
    line.devices[2].press(Key.CALL_NEXT)  # a longer reply: its header says how long
    for _ in range(2):
        master.step()
    assert keys == [Key.CALL_NEXT]
    assert master.stats["timeouts"] == 0 and master.stats["noise_bytes"] == 0
