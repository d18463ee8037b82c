"""The v1 polling bus master: one per serial port, one thread, no queue rules.

It scans for devices with HELLO, polls them round-robin, sends SHOW/BEEP/EVAL_START/
EVAL_CANCEL queued by the hub link, and hands each new key press to ``on_key`` exactly
once, keeping each device's boot id and last event number in a :class:`PadMemory`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from counter_pad import frames_v1 as v1
from counter_pad.keys import KEYS_WITH_ARG, V1_WIRE_KEYS, Key, KeyEvent
from counter_pad.memory import PadCursor, PadMemory

log = logging.getLogger(__name__)


class Port(Protocol):
    """The slice of ``serial.Serial`` the master uses (read returns after ``timeout``)."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def reset_input_buffer(self) -> None: ...


@dataclass(frozen=True)
class MasterSettings:
    bus: str
    addresses: tuple[int, ...] = tuple(range(1, 32))
    baud: int = 9600
    first_byte_timeout: float = 0.050
    inter_byte_gap: float = 0.005
    retries: int = 2
    offline_poll_interval: float = 2.0
    poll_interval: float = 0.0  # least time between two polls of one device

    def __post_init__(self) -> None:
        bad = [a for a in self.addresses if not 1 <= a <= 31]
        if bad or len(set(self.addresses)) != len(self.addresses):
            raise ValueError(f"addresses must be distinct and in 1-31, got {self.addresses}")
        if self.baud not in (9600, 19200, 38400, 57600, 115200):
            raise ValueError(f"baud {self.baud} is not one of 9600/19200/38400/57600/115200")

    @property
    def gap(self) -> float:
        """The inter-byte gap that aborts a frame: never under 3.5 character times."""
        return max(self.inter_byte_gap, v1.wire_time(3.5, self.baud))


OnKey = Callable[[KeyEvent], None]
OnStatus = Callable[[int, bool], None]


@dataclass
class _Device:
    address: int
    info: v1.Info | None = None
    online: bool = False
    reported: bool = False  # whether on_status has heard of this device yet
    next_try: float = 0.0
    cursor: PadCursor | None = None
    loaded: bool = False
    display: tuple[str, str] | None = None
    display_dirty: bool = False
    commands: deque[Callable[[int], bytes]] = field(default_factory=deque)


@dataclass(frozen=True)
class DeviceStatus:
    address: int
    online: bool
    info: v1.Info | None
    cursor: PadCursor | None


class BusMaster:
    def __init__(
        self,
        port: Port,
        settings: MasterSettings,
        memory: PadMemory,
        on_key: OnKey,
        on_status: OnStatus | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.port = port
        self.settings = settings
        self.memory = memory
        self.on_key = on_key
        self.on_status = on_status
        self.clock = clock
        self.sleep = sleep
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._devices = {a: _Device(a) for a in settings.addresses}
        self._broadcasts: deque[bytes] = deque()
        self._seq = 0
        port.timeout = settings.gap

    # ------------------------------------------------------------ commands (any thread)

    def show(self, address: int, line1: str, line2: str) -> None:
        """Set what the device displays; sent now and again after a reboot or an outage."""
        lines = (v1.fit_line(line1).decode("gb18030"), v1.fit_line(line2).decode("gb18030"))
        with self._lock:
            dev = self._devices[address]
            dev.display, dev.display_dirty = lines, True

    def beep(self, address: int, count: int) -> None:
        self._queue(address, lambda seq: v1.encode_beep(address, seq, count))

    def eval_start(self, address: int, ticket: str) -> None:
        self._queue(address, lambda seq: v1.encode_eval_start(address, seq, ticket))

    def eval_cancel(self, address: int) -> None:
        self._queue(address, lambda seq: v1.encode_eval_cancel(address, seq))

    def broadcast_show(self, line1: str, line2: str) -> None:
        l1, l2 = v1.fit_line(line1).decode("gb18030"), v1.fit_line(line2).decode("gb18030")
        with self._lock:
            self._broadcasts.append(v1.encode_show(v1.BROADCAST, 0, l1, l2))

    def broadcast_beep(self, count: int) -> None:
        frame = v1.encode_beep(v1.BROADCAST, 0, count)
        with self._lock:
            self._broadcasts.append(frame)

    def status(self) -> dict[int, DeviceStatus]:
        with self._lock:
            return {
                a: DeviceStatus(a, d.online, d.info, d.cursor) for a, d in self._devices.items()
            }

    def _queue(self, address: int, build: Callable[[int], bytes]) -> None:
        build(0)  # validate now, in the caller's thread
        with self._lock:
            self._devices[address].commands.append(build)

    # ------------------------------------------------------------ the loop (one thread)

    def run(self, stop: threading.Event) -> None:
        log.info("bus %s: polling %d addresses", self.settings.bus, len(self._devices))
        while not stop.is_set():
            self.step()

    def step(self) -> None:
        """One pass: pending broadcasts, then every device that is due."""
        started = self.clock()
        self._send_broadcasts()
        served = False
        for dev in self._devices.values():
            if self.clock() >= dev.next_try:
                self._serve(dev)
                served = True
        rest = self.settings.poll_interval - (self.clock() - started)
        if not served:
            soonest = min(d.next_try for d in self._devices.values()) - self.clock()
            rest = max(rest, min(soonest, 0.05))
        if rest > 0:
            self.sleep(rest)

    def _send_broadcasts(self) -> None:
        while True:
            with self._lock:
                if not self._broadcasts:
                    return
                frame = self._broadcasts.popleft()
            self.port.write(frame)
            self.sleep(v1.wire_time(len(frame), self.settings.baud) + self.settings.gap)

    def _serve(self, dev: _Device) -> None:
        attempts = 1 + self.settings.retries if dev.online else 1
        if dev.info is None:
            reply = self._transact(dev, lambda s: v1.encode_hello(dev.address, s), attempts)
            if isinstance(reply, v1.Info):
                dev.info = reply
                log.info("bus %s: %d is %s", self.settings.bus, dev.address, reply)
            return
        while True:
            with self._lock:
                build = self._next_command(dev)
            if build is None:
                break
            reply = self._transact(dev, build, attempts)
            if reply is None:
                return
            if isinstance(reply, v1.Nak):
                self.stats["nak"] += 1
                log.warning("bus %s: %d refused: %s", self.settings.bus, dev.address, reply)
        if not dev.loaded:
            dev.cursor, dev.loaded = self.memory.get(self.settings.bus, dev.address), True
        cur = dev.cursor or PadCursor(0, 0)
        reply = self._transact(
            dev, lambda s: v1.encode_poll(dev.address, s, cur.last_event, cur.boot_id), attempts
        )
        if isinstance(reply, v1.Events):
            self._take(dev, reply)

    def _next_command(self, dev: _Device) -> Callable[[int], bytes] | None:
        if dev.display_dirty and dev.display is not None:
            dev.display_dirty = False
            l1, l2 = dev.display
            return lambda seq: v1.encode_show(dev.address, seq, l1, l2)
        return dev.commands.popleft() if dev.commands else None

    def _transact(
        self, dev: _Device, build: Callable[[int], bytes], attempts: int
    ) -> v1.Reply | None:
        self._seq = (self._seq + 1) & 0xFF
        request = build(self._seq)
        for attempt in range(attempts):
            if attempt:
                self.stats["retries"] += 1
            frame = self._exchange(request, dev.address, self._seq)
            if frame is None:
                continue
            try:
                reply = v1.decode_reply(frame)
            except v1.FrameError as exc:
                self.stats["bad_replies"] += 1
                log.warning("bus %s: bad reply from %d: %s", self.settings.bus, dev.address, exc)
                continue
            self._mark(dev, online=True)
            return reply
        self._mark(dev, online=False)
        return None

    def _exchange(self, request: bytes, address: int, seq: int) -> v1.Frame | None:
        s = self.settings
        rx = v1.Receiver()
        self.port.reset_input_buffer()
        self.port.write(request)
        deadline = self.clock() + v1.wire_time(len(request), s.baud) + s.first_byte_timeout
        started = False
        want = address | v1.REPLY_BIT
        while self.clock() < deadline:
            data = self.port.read(rx.needed)
            frames = rx.feed(data) if data else rx.abort() if rx.pending else []
            if data and not started:
                started = True
                deadline = self.clock() + v1.wire_time(v1.MAX_FRAME, s.baud) + s.gap
            for frame in frames:
                if frame.addr == want and frame.seq == seq:
                    return frame
                self.stats["stray_frames"] += 1
        self.stats["crc_or_noise_bytes"] += rx.dropped
        self.stats["timeouts"] += 1
        return None

    def _mark(self, dev: _Device, online: bool) -> None:
        now = self.clock()
        dev.next_try = now + (
            self.settings.poll_interval if online else self.settings.offline_poll_interval
        )
        if online == dev.online and dev.reported:
            return
        dev.online, dev.reported = online, True
        if online:
            dev.display_dirty = True  # whatever it showed may be gone
            log.info("bus %s: device %d online", self.settings.bus, dev.address)
        elif dev.info is None:
            log.info("bus %s: nothing answers at %d", self.settings.bus, dev.address)
        else:
            self.stats["offline"] += 1
            log.warning("bus %s: device %d offline", self.settings.bus, dev.address)
        if self.on_status is not None:
            self.on_status(dev.address, online)

    # ------------------------------------------------------------ events, exactly once

    def _take(self, dev: _Device, reply: v1.Events) -> None:
        bus = self.settings.bus
        cur = dev.cursor
        if cur is None or cur.boot_id != reply.boot:
            if cur is not None:
                log.info("bus %s: device %d rebooted (boot %d)", bus, dev.address, reply.boot)
            cur = PadCursor(reply.boot, 0)
            self.memory.put(bus, dev.address, cur)
            dev.cursor = cur
            with self._lock:
                dev.display_dirty = True
        if reply.overflow:
            self.stats["overflow"] += 1
            log.warning("bus %s: device %d lost events (store full)", bus, dev.address)
        for wire in reply.events:
            if not is_after(wire.number, cur.last_event):
                self.stats["repeated_events"] += 1
                continue
            event = self._event(dev.address, reply.boot, wire)
            if event is not None:
                try:
                    self.on_key(event)
                except Exception:
                    log.exception("bus %s: on_key failed for %s", bus, event.idempotency_key)
                    return  # not taken: the device sends it again
            cur = PadCursor(reply.boot, wire.number)
            self.memory.put(bus, dev.address, cur)
            dev.cursor = cur

    def _event(self, address: int, boot: int, wire: v1.WireEvent) -> KeyEvent | None:
        if wire.key not in V1_WIRE_KEYS or (Key(wire.key) in KEYS_WITH_ARG and not wire.arg):
            self.stats["refused_keys"] += 1
            log.warning("bus %s: %d sent unusable key 0x%02X", self.settings.bus, address, wire.key)
            return None
        return KeyEvent(self.settings.bus, address, boot, wire.number, Key(wire.key), wire.arg)


def is_after(number: int, last: int) -> bool:
    """Whether event ``number`` comes after ``last`` in the 1-255 wrapping numbering."""
    if last == 0:
        return True
    return 0 < (number - last) % 255 < 128
