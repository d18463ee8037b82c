"""The pad and evaluator simulator shipped in the product.

One :class:`PadSimulator` plays every device on one line (addresses 1-31) in one
thread, speaking protocol v1 or the legacy profile over a pty or a serial port, with the
wire time modelled at a configurable baud. ``python -m counter_pad.simulator --pty``
prints the slave path to point a bus master at, then takes commands on stdin.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import threading
import time
import tty
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from counter_pad import frames_legacy as fl
from counter_pad import frames_v1 as v1
from counter_pad.sim_devices import Faults, SimLegacyPad, SimV1Device
from counter_pad.timing import fine_timer_slack, sleep_until

log = logging.getLogger(__name__)

Profile = Literal["v1", "legacy"]
OnDisplay = Callable[[int, tuple[str, str]], None]


class Link(Protocol):
    """Raw bytes in and out; the simulator's only IO seam."""

    def read(self, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class FdLink:
    """A file descriptor, typically the master side of a pty."""

    def __init__(self, fd: int, keep_open: tuple[int, ...] = ()) -> None:
        self.fd = fd
        self._keep = keep_open  # e.g. the pty slave, so reads never see EIO

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 4096)
        except OSError:  # the other side closed; behave like a quiet line
            time.sleep(timeout)
            return b""

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        for fd in (self.fd, *self._keep):
            with contextlib.suppress(OSError):
                os.close(fd)


class SerialLink:
    """A real serial port through pyserial (a USB-RS485 adapter to real masters)."""

    def __init__(self, path: str, baud: int) -> None:
        import serial  # the one pyserial import of the simulator

        self._port: Any = serial.Serial(path, baud, timeout=0.005)

    def read(self, timeout: float) -> bytes:
        self._port.timeout = timeout
        data: bytes = self._port.read(max(1, self._port.in_waiting))
        return data

    def write(self, data: bytes) -> None:
        self._port.write(data)

    def close(self) -> None:
        self._port.close()


def open_pty() -> tuple[FdLink, str]:
    """A raw pty pair: the simulator's link on the master side, and the slave's path."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return FdLink(master, keep_open=(slave,)), os.ttyname(slave)


class PadSimulator:
    def __init__(
        self,
        link: Link,
        devices: Mapping[int, v1.DeviceType],
        profile: Profile = "v1",
        baud: int | None = 9600,
        turnaround: float = 0.002,
        gap: float = 0.005,
        seed: int | None = None,
        on_display: OnDisplay | None = None,
        booted_until_reply: bool = True,
    ) -> None:
        if any(not 1 <= a <= 31 for a in devices):
            raise ValueError(f"device addresses must be in 1-31: {sorted(devices)}")
        self.link = link
        self.profile = profile
        self.baud = baud
        self.turnaround = turnaround
        self.gap = gap
        self.on_display = on_display
        rng = random.Random(seed)
        self.v1: dict[int, SimV1Device] = {}
        self.legacy: dict[int, SimLegacyPad] = {}
        for addr, kind in devices.items():
            if profile == "v1":
                self.v1[addr] = SimV1Device(
                    addr, kind, random.Random(rng.random()), booted_until_reply=booted_until_reply
                )
            else:
                self.legacy[addr] = SimLegacyPad(addr)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.heard: Counter[int] = Counter()  # requests each device heard
        self.addressed: Counter[int] = Counter()  # requests to each device, silent ones too

    # ------------------------------------------------------------ commands (any thread)

    def press(self, address: int, key: int, arg: str = "") -> int | None:
        """A v1 key press; its event number, or None if the store overflowed."""
        with self._lock:
            return self.v1[address].press(key, arg)

    def rate(self, address: int, level: int) -> int | None:
        with self._lock:
            return self.v1[address].rate(level)

    def rating_timeout(self, address: int) -> int | None:
        with self._lock:
            return self.v1[address].rating_timeout()

    def legacy_press(self, address: int, *codes: int) -> None:
        with self._lock:
            for code in codes:
                self.legacy[address].press(code)

    def faults(self, address: int) -> Faults:
        dev = self.v1.get(address) or self.legacy[address]
        return dev.faults

    def drop_replies(self, address: int, count: int = 1) -> None:
        with self._lock:
            self.faults(address).drop_replies += count

    def corrupt_replies(self, address: int, count: int = 1) -> None:
        with self._lock:
            self.faults(address).corrupt_replies += count

    def set_silent(self, address: int, silent: bool = True) -> None:
        with self._lock:
            self.faults(address).silent = silent

    def lose_echoes(self, address: int, count: int = 1) -> None:
        """Legacy: the next ``count`` frames from the host to this pad are lost on the wire."""
        with self._lock:
            self.faults(address).lose_echoes += count

    def set_deaf_acks(self, address: int, deaf: bool = True) -> None:
        """The device keeps answering but takes no ACK (its presses stay unacknowledged)."""
        with self._lock:
            self.faults(address).deaf_acks = deaf

    def reboot(self, address: int, same_boot_id: bool = False) -> None:
        """Power-cycle a device; ``same_boot_id``: a v1 device draws its old boot id again."""
        with self._lock:
            if address in self.v1:
                self.v1[address].power_on(same_boot_id)
            else:
                self.legacy[address].power_on()
        self._displayed(address)

    def busy(self, address: int, count: int = 1) -> None:
        """The next ``count`` requests other than POLL and HELLO get NAK 3 (busy)."""
        with self._lock:
            self.faults(address).busy += count

    def inject(self, data: bytes) -> None:
        """Put raw bytes on the line (noise, a bad frame, a device nobody configured)."""
        with self._lock:
            self.link.write(data)

    def evaluating(self, address: int) -> str | None:
        """The ticket an evaluator is asking to rate (from EVAL_START), if any."""
        with self._lock:
            return self.v1[address].eval_ticket

    def display(self, address: int) -> tuple[str, str]:
        """What the device shows: the two SHOW lines, or a legacy pad's two digit groups."""
        with self._lock:
            if address in self.v1:
                return self.v1[address].lines
            text = self.legacy[address].display
            return text[:3], text[4:]

    def pending_events(self, address: int) -> int:
        with self._lock:
            dev = self.v1.get(address)
            return len(dev.store) if dev else len(self.legacy[address].outbox)

    # ------------------------------------------------------------ running

    def start(self) -> PadSimulator:
        self._thread = threading.Thread(target=self._run, name="pad-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def unplug(self) -> None:
        """The adapter is pulled: the line goes away; the devices keep their state."""
        self.stop()
        self.link.close()

    def replug(self, link: Link) -> None:
        """The adapter is back (on ``link``); the devices carry on where they were."""
        self.link = link
        self._stop = threading.Event()
        self.start()

    def __enter__(self) -> PadSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        fine_timer_slack()  # replies land when the wire says, not ~90 µs later
        rx: v1.Receiver | fl.LegacyReceiver
        rx = v1.Receiver() if self.profile == "v1" else fl.LegacyReceiver()
        while not self._stop.is_set():
            data = self.link.read(self.gap)
            frames = rx.feed(data) if data else rx.abort() if rx.pending else []
            for frame in frames:
                if isinstance(frame, v1.Frame):
                    self._serve_v1(frame)
                else:
                    self._serve_legacy(frame)
            if self.legacy:
                self._send_legacy_keys()

    def _serve_v1(self, frame: v1.Frame) -> None:
        """Act on a request when its last byte would have arrived (a press made while the
        request is on the wire is in the reply, as on a real device), and answer
        ``turnaround`` later. The master's write lands here at once: the request's wire
        time is modelled from when it was read."""
        if frame.is_reply:
            return
        targets = list(self.v1.values()) if frame.addr == 0 else [self.v1.get(frame.addr)]
        if frame.addr != 0:
            self.addressed[frame.addr] += 1
        live = [d for d in targets if d is not None and not d.faults.silent]
        if not live:
            return
        arrived = time.monotonic() + self._wire(len(frame.payload) + v1.OVERHEAD)
        sleep_until(arrived)
        for dev in live:
            self.heard[dev.address] += 1
            with self._lock:
                before = dev.lines
                reply = dev.handle(frame)
            if dev.lines != before:
                self._displayed(dev.address)
            if reply is not None:
                self._reply(dev.faults, reply, arrived + self.turnaround)

    def _serve_legacy(self, frame: fl.LegacyFrame) -> None:
        pad = self.legacy.get(frame.addr)
        if pad is None or pad.faults.silent:
            return
        with self._lock:
            if pad.faults.lose_echoes:
                pad.faults.lose_echoes -= 1
                return
        arrived = time.monotonic() + self._wire(len(frame.encode()))  # as in _serve_v1
        sleep_until(arrived)
        with self._lock:
            before = pad.digits
            reply = pad.handle(frame)
        if pad.digits != before:
            self._displayed(pad.address)
        if reply is not None:
            self._reply(pad.faults, reply, arrived + self.turnaround)

    def _send_legacy_keys(self) -> None:
        for pad in self.legacy.values():
            with self._lock:
                frame = None if pad.faults.silent else pad.due(time.monotonic())
            if frame is not None:
                self._reply(pad.faults, frame, time.monotonic())

    def _reply(self, faults: Faults, data: bytes, start: float) -> None:
        """Send ``data`` as if its first byte went on the wire at ``start``."""
        with self._lock:
            if faults.drop_replies:
                faults.drop_replies -= 1
                return
            if faults.corrupt_replies:
                faults.corrupt_replies -= 1
                i = len(data) // 2
                data = data[:i] + bytes((data[i] ^ 0x5A,)) + data[i + 1 :]
        self._transmit(data, start)

    def _wire(self, n: int) -> float:
        return v1.wire_time(n, self.baud) if self.baud else 0.0

    def _transmit(self, data: bytes, start: float) -> None:
        """Write at the line speed from ``start``: chunks of about 2 ms, each when its last
        byte lands (times counted from ``start``, so sleeping late never adds up)."""
        if not self.baud:
            sleep_until(start)
            self.link.write(data)
            return
        per_byte = 10 / self.baud
        chunk = max(1, int(0.002 / per_byte))
        for i in range(0, len(data), chunk):
            part = data[i : i + chunk]
            sleep_until(start + (i + len(part)) * per_byte)
            self.link.write(part)

    def _displayed(self, address: int) -> None:
        if self.on_display is not None:
            self.on_display(address, self.display(address))


if __name__ == "__main__":
    from counter_pad.sim_cli import main

    main()
