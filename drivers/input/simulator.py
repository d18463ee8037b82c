"""Simulated input devices shipped in the product: recorded key events through a real fd.

``typed`` records the events a keyboard-wedge scanner sends for a text (US layout, Shift for
capitals and symbols, SYN reports, an Enter at the end) at a chosen speed. ``SimulatedDevice``
stands in for an ``evdev.InputDevice``: its ``fd`` is the read end of a pipe carrying the
kernel's ``struct input_event`` bytes, so the reader's ``select`` and decoding are the real
ones; ``unplug`` makes the next read fail with ENODEV as a pulled USB device does.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
from collections.abc import Iterable, Iterator

from evdev import InputEvent, ecodes

from drivers.input import keymap

EVENT = struct.Struct("llHHi")  # struct input_event on 64-bit Linux: timeval, type, code, value


def _key(t: float, code: int, value: int) -> list[InputEvent]:
    sec, usec = int(t), round((t - int(t)) * 1_000_000)
    return [
        InputEvent(sec, usec, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code),
        InputEvent(sec, usec, ecodes.EV_KEY, code, value),
        InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    ]


def typed(
    text: str, *, start: float = 1_800_000_000.0, gap: float = 0.004, enter: bool = True
) -> list[InputEvent]:
    """The events a scanner sends for ``text``: one key every ``gap`` seconds, then Enter."""
    events: list[InputEvent] = []
    t = start
    for char in text:
        code, shift = keymap.key_for(char)
        if shift:
            events += _key(t, ecodes.KEY_LEFTSHIFT, 1)
        events += _key(t, code, 1) + _key(t + gap / 4, code, 0)
        if shift:
            events += _key(t + gap / 4, ecodes.KEY_LEFTSHIFT, 0)
        t += gap
    if enter:
        events += _key(t, ecodes.KEY_ENTER, 1) + _key(t + gap / 4, ecodes.KEY_ENTER, 0)
    return events


def pack(events: Iterable[InputEvent]) -> bytes:
    return b"".join(EVENT.pack(e.sec, e.usec, e.type, e.code, e.value) for e in events)


def unpack(data: bytes) -> list[InputEvent]:
    usable = len(data) - len(data) % EVENT.size
    return [InputEvent(*EVENT.unpack_from(data, i)) for i in range(0, usable, EVENT.size)]


class SimulatedDevice:
    """A pipe-backed stand-in for ``evdev.InputDevice`` (fd, read, grab, ungrab, close)."""

    def __init__(self, name: str = "Simulated Scanner", path: str = "/dev/input/sim0") -> None:
        self.name = name
        self.path = path
        self.phys = "sim/input0"
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._lock = threading.Lock()
        self._pending = b""
        self.grabbed = False
        self.busy = False
        self.unplugged = False
        self.closed = False

    @property
    def fd(self) -> int:
        return self._r

    def fileno(self) -> int:
        return self._r

    def feed(self, events: Iterable[InputEvent]) -> None:
        """What the device sends next (as the kernel would queue it)."""
        os.write(self._w, pack(events))

    def unplug(self) -> None:
        """The device is pulled: the reader wakes and its next read fails with ENODEV."""
        self.unplugged = True
        os.write(self._w, b"\0")

    def grab(self) -> None:
        if self.busy:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def read(self) -> Iterator[InputEvent]:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        with self._lock:
            try:
                data = self._pending + os.read(self._r, 64 * EVENT.size)
            except BlockingIOError:
                if not self._pending:
                    raise
                data = self._pending
            usable = len(data) - len(data) % EVENT.size
            self._pending = data[usable:]
        return iter(unpack(data[:usable]))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._r)
            os.close(self._w)
