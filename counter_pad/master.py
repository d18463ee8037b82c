"""The v1 polling bus master: one per serial port, one thread, no queue rules.

It scans for devices with HELLO, polls them round-robin, sends SHOW/BEEP/EVAL_START/
EVAL_CANCEL queued by the hub link, and hands each new key press to ``on_key`` exactly
once, keeping each device's boot id and last event number in a :class:`PadMemory`.

A press is *taken* when it is handed to ``on_key`` and *confirmed* when its action is
committed: with ``auto_confirm`` (the default) as soon as ``on_key`` returns; otherwise
when the consumer calls :meth:`BusMaster.confirm`. Only confirmed presses are stored in
the memory and acknowledged to the device, in order, so a master that dies with presses
in flight gets them again from the devices, with the same idempotency keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from counter_pad import frames_v1 as v1
from counter_pad.keys import KEYS_WITH_ARG, V1_WIRE_KEYS, Key, KeyEvent
from counter_pad.memory import PadCursor, PadMemory
from counter_pad.port import Port
from counter_pad.timing import fine_timer_slack

log = logging.getLogger(__name__)


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
    background_share: float = 0.1  # line time for display refreshes, as a share of polls

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


POLL_BYTES = 10 + 11  # a POLL and an empty EVENTS reply on the wire
OnKey = Callable[[KeyEvent], None]
OnStatus = Callable[[int, bool], None]


@dataclass
class _Taken:
    cursor: PadCursor
    done: bool = False


@dataclass
class _Device:
    address: int
    info: v1.Info | None = None
    online: bool = False
    reported: bool = False  # whether on_status has heard of this device yet
    next_try: float = 0.0
    cursor: PadCursor | None = None  # confirmed: stored in the memory and acknowledged
    taken: PadCursor | None = None  # the last event handed to on_key (>= cursor)
    pending: deque[_Taken] = field(default_factory=deque)  # taken, in order
    loaded: bool = False
    display: tuple[str, str] | None = None
    display_dirty: bool = False
    display_urgent: bool = False  # answers a press, or the device lost what it showed
    commands: deque[Callable[[int], bytes]] = field(default_factory=deque)
    poll: v1.SeqFrame | None = None  # the POLL for the cursor below, any SEQ
    poll_for: PadCursor | None = None
    quiet: _Quiet | None = None  # the empty EVENTS reply this device last sent


@dataclass(frozen=True)
class _Quiet:
    """An empty EVENTS reply (for every SEQ) and what it decodes to."""

    frame: v1.SeqFrame
    events: v1.Events


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
        *,
        auto_confirm: bool = True,
        epoch: Callable[[], int] = lambda: 0,
    ) -> None:
        self.port = port
        self.auto_confirm = auto_confirm
        self.epoch = epoch
        self.settings = settings
        self.memory = memory
        self.on_key = on_key
        self.on_status = on_status
        self.clock = clock
        self.sleep = sleep
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()  # device state, shared with the hub link's threads
        self._persist = threading.Lock()  # memory writes, in the order of the changes
        self._devices = {a: _Device(a) for a in settings.addresses}
        self._broadcasts: deque[bytes] = deque()
        self._seq = 0
        self._budget = 0.0
        self._urgent = False  # some device has an urgent display waiting
        self._gap = settings.gap
        self._byte_time = v1.wire_time(1, settings.baud)
        self._flush = True  # flush the input before the next request

    # ------------------------------------------------------------ commands (any thread)

    def show(self, address: int, line1: str, line2: str, urgent: bool = True) -> None:
        """Set what the device displays; sent now and again after a reboot or an outage.

        An ``urgent`` display (the answer to a press) goes before the device's next POLL;
        others (a waiting count that changed) share ``background_share`` of the line with
        the polls, so display traffic never slows the presses much."""
        lines = (v1.fit_line(line1).decode("gb18030"), v1.fit_line(line2).decode("gb18030"))
        with self._lock:
            dev = self._devices[address]
            if dev.display != lines:
                dev.display, dev.display_dirty = lines, True
                dev.display_urgent = dev.display_urgent or urgent
                self._urgent = self._urgent or urgent

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

    def confirm(self, event: KeyEvent) -> None:
        """The action of ``event`` is committed: store and acknowledge it (and any taken
        before it that are confirmed too). A confirmation for an older boot is ignored."""
        dev = self._devices.get(event.address)
        if dev is None or event.bus != self.settings.bus:
            return
        with self._persist:
            with self._lock:
                for t in dev.pending:
                    c = t.cursor
                    key = (c.boot_id, c.epoch, c.serial)
                    if key == (event.boot_id, event.epoch, event.serial):
                        t.done = True
                        break
                else:
                    return
                new = self._advance(dev)
            self._store(dev, new)

    def attach(self, port: Port) -> None:
        """Use ``port`` from now on (after the adapter came back): poll everyone at once."""
        with self._lock:
            self.port = port
            self._flush = True
            for dev in self._devices.values():
                dev.next_try = 0.0

    def detach(self) -> None:
        """The port is gone: every device is unreachable until :meth:`attach`."""
        for dev in self._devices.values():
            if dev.online:
                self._mark(dev, online=False)

    def _advance(self, dev: _Device) -> PadCursor | None:
        """Move the cursor over the confirmed head of ``pending`` (lock held); the new
        cursor to store, if it moved."""
        new = None
        while dev.pending and dev.pending[0].done:
            new = dev.pending.popleft().cursor
        if new is not None:
            dev.cursor = new
        return new

    def _store(self, dev: _Device, cursor: PadCursor | None) -> None:
        """Write a cursor to the memory (``_persist`` held, ``_lock`` not: the poll loop
        never waits for the disk)."""
        if cursor is not None:
            self.memory.put(self.settings.bus, dev.address, cursor)

    def _queue(self, address: int, build: Callable[[int], bytes]) -> None:
        build(0)  # validate now, in the caller's thread
        with self._lock:
            self._devices[address].commands.append(build)

    # ------------------------------------------------------------ the loop (one thread)

    def run(self, stop: threading.Event) -> None:
        fine_timer_slack()  # sleeps for a frame's rest end when it lands, not ~90 µs later
        log.info("bus %s: polling %d addresses", self.settings.bus, len(self._devices))
        while not stop.is_set():
            self.step()

    def step(self) -> None:
        """One pass: pending broadcasts, then every device that is due."""
        started = self.clock()
        self._send_broadcasts()
        served = False
        due = [d for d in self._devices.values() if started >= d.next_try]
        self._budget = self.settings.background_share * POLL_BYTES * len(due)
        for dev in due:
            if self._urgent:
                self._urgent_shows()
            if dev.quiet is not None and dev.online and dev.poll_for is dev.cursor:
                self._poll_idle(dev, dev.quiet)
            else:
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
            self.sleep(self._byte_time * len(frame) + self._gap)

    def _urgent_shows(self) -> None:
        """Displays that answer a press go out now, not at their device's turn."""
        if not self._urgent:
            return
        self._urgent = False
        for dev in self._devices.values():
            if dev.display_urgent and dev.display_dirty and dev.online and dev.info is not None:
                with self._lock:
                    build = self._next_command(dev)
                if build is not None:
                    self._transact(dev, build, 1 + self.settings.retries)

    def _poll_idle(self, dev: _Device, quiet: _Quiet) -> None:
        """Serve a device that is online and was idle at its last POLL: the common case,
        kept short. Anything but its idle reply again goes on as in :meth:`_serve`."""
        poll = dev.poll
        if self._flush or dev.display_dirty or dev.commands or poll is None:
            self._serve(dev)
            return
        self._seq = seq = (self._seq + 1) & 0xFF
        request = poll.frame(seq)
        expect = quiet.frame.frame(seq)
        now = self.clock()
        wait = self._byte_time * len(request) + self.settings.first_byte_timeout
        data = self.port.ask(request, v1.MAX_FRAME, wait)
        if data == expect:  # nothing new; the cursor's boot is the reply's (see _polled)
            if self.settings.poll_interval:
                dev.next_try = self.clock() + self.settings.poll_interval
            return
        got = self._received(data, now, wait, dev.address, seq, expect)
        reply = self._transact(dev, poll.frame, 1 + self.settings.retries, quiet, (seq, got))
        self._polled(dev, reply)

    def _serve(self, dev: _Device) -> None:
        attempts = 1 + self.settings.retries if dev.online else 1
        if dev.info is None:
            reply = self._transact(dev, lambda s: v1.encode_hello(dev.address, s), attempts)
            if isinstance(reply, v1.Info):
                dev.info = reply
                log.info("bus %s: %d is %s", self.settings.bus, dev.address, reply)
            return
        while dev.display_dirty or dev.commands:  # read unlocked: a miss waits one pass
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
            with self._lock:
                dev.cursor, dev.loaded = self.memory.get(self.settings.bus, dev.address), True
                dev.taken = dev.cursor
        cur = dev.cursor  # replaced whole by confirm(), never changed in place
        if dev.poll is None or dev.poll_for is not cur:
            ack, boot = (cur.last_event, cur.boot_id) if cur is not None else (0, 0)
            v1.encode_poll(dev.address, 0, ack, boot)  # checks ACK and BOOT
            dev.poll = v1.SeqFrame(dev.address, v1.Cmd.POLL, bytes((ack, boot & 0xFF, boot >> 8)))
            dev.poll_for = cur
        self._polled(dev, self._transact(dev, dev.poll.frame, attempts, dev.quiet))

    def _polled(self, dev: _Device, reply: v1.Reply | None) -> None:
        """Take a POLL's reply. An empty one is kept (:class:`_Quiet`) to recognise the
        next ones by their bytes: taken here first, so the cursor has its boot id."""
        if isinstance(reply, v1.Events):
            quiet = dev.quiet
            if not reply.events and (quiet is None or quiet.events is not reply):
                payload = bytes((reply.flags, reply.boot & 0xFF, reply.boot >> 8, 0))
                frame = v1.SeqFrame(dev.address | v1.REPLY_BIT, v1.Cmd.EVENTS, payload)
                dev.quiet = _Quiet(frame, reply)
            self._take(dev, reply)

    def _next_command(self, dev: _Device) -> Callable[[int], bytes] | None:
        if dev.display is None:  # nothing to show (yet): nothing to resend
            dev.display_dirty = dev.display_urgent = False
        show = dev.display_dirty and (dev.display_urgent or self._budget > 0)
        if show and dev.display is not None:
            l1, l2 = dev.display
            if not dev.display_urgent:
                self._budget -= len(v1.encode_show(dev.address, 0, l1, l2)) + v1.OVERHEAD
                self.stats["background_shows"] += 1
            dev.display_dirty = dev.display_urgent = False
            return lambda seq: v1.encode_show(dev.address, seq, l1, l2)
        return dev.commands.popleft() if dev.commands else None

    def _transact(
        self,
        dev: _Device,
        build: Callable[[int], bytes],
        attempts: int,
        quiet: _Quiet | None = None,
        first: tuple[int, v1.Frame | bytes | None] | None = None,
    ) -> v1.Reply | None:
        """Send a request up to ``attempts`` times (same SEQ) until a good reply comes.
        ``quiet``: an empty EVENTS reply this request may get, recognised without
        decoding (most POLLs of an idle bus get one). ``first``: the SEQ and outcome of a
        first attempt already made."""
        if first is None:
            self._seq = seq = (self._seq + 1) & 0xFF
        else:
            seq = first[0]
        request = build(seq)
        expect = quiet.frame.frame(seq) if quiet is not None else None
        for attempt in range(attempts):
            if attempt:
                self.stats["retries"] += 1
            if attempt == 0 and first is not None:
                got = first[1]
            else:
                got = self._exchange(request, dev.address, seq, expect)
            if got is None:
                continue
            if isinstance(got, bytes):  # ``expect`` itself
                assert quiet is not None
                reply: v1.Reply = quiet.events
            else:
                try:
                    reply = v1.decode_reply(got)
                except v1.FrameError as exc:
                    self.stats["bad_replies"] += 1
                    log.warning(
                        "bus %s: bad reply from %d: %s", self.settings.bus, dev.address, exc
                    )
                    continue
            self._mark(dev, online=True)
            return reply
        self._mark(dev, online=False)
        return None

    def _exchange(
        self, request: bytes, address: int, seq: int, expect: bytes | None = None
    ) -> v1.Frame | bytes | None:
        """Send ``request`` and wait for its reply: one write, then one wait-and-read for
        the whole reply when it comes at once (the fast path: ``expect`` itself, returned
        as is, or an exact good frame); else :meth:`_collect` gathers the pieces. The
        input is flushed only after an exchange that left something unexpected behind
        (a clean one leaves nothing)."""
        if self._flush:
            self._flush = False
            self.port.reset_input_buffer()
        now = self.clock()
        wait = self._byte_time * len(request) + self.settings.first_byte_timeout
        data = self.port.ask(request, v1.MAX_FRAME, wait)
        return self._received(data, now, wait, address, seq, expect)

    def _received(
        self, data: bytes, now: float, wait: float, address: int, seq: int, expect: bytes | None
    ) -> v1.Frame | bytes | None:
        """What a request sent at ``now`` got within ``wait``: see :meth:`_exchange`."""
        if data:
            if data == expect:
                return expect
            frame = v1.exact_frame(data)
            if frame is not None and frame.addr == address | v1.REPLY_BIT and frame.seq == seq:
                return frame
            return self._collect(data, address, seq)
        if self.clock() - now < wait:  # woken early with nothing: wait out the rest
            return self._collect(b"", address, seq, now + wait)
        self.stats["timeouts"] += 1
        self._flush = True
        return None

    def _collect(
        self, data: bytes, address: int, seq: int, first_by: float | None = None
    ) -> v1.Frame | None:
        """The slow path of :meth:`_exchange`: a reply in pieces (slow lines), noise,
        stray or bad frames. The first byte may take until ``first_by``; once a reply has
        started, the whole frame may take its wire time, and a gap inside it ends it."""
        port, gap, want = self.port, self._gap, address | v1.REPLY_BIT
        rx = v1.Receiver()
        deadline = first_by if first_by is not None and not data else self._frame_deadline()
        strays = 0
        while True:
            if data:
                if first_by is not None:
                    first_by, deadline = None, self._frame_deadline()
                frames = rx.feed(data)
                rest = self._byte_time * (rx.needed - 1) if rx.pending else 0.0
                if rest > 0.002:  # slow line: let the frame's known rest arrive, then read
                    self.sleep(rest)
            elif rx.pending:
                frames = rx.abort()
            else:
                frames = []
            for frame in frames:
                if frame.addr == want and frame.seq == seq:
                    if strays or rx.dropped or rx.pending:
                        self._flush = True
                        self.stats["crc_or_noise_bytes"] += rx.dropped
                    return frame
                strays += 1
                self.stats["stray_frames"] += 1
            left = deadline - self.clock()
            if left <= 0:
                break
            data = port.read(v1.MAX_FRAME, min(left, gap) if rx.pending else left)
        self.stats["crc_or_noise_bytes"] += rx.dropped
        self.stats["timeouts"] += 1
        self._flush = True
        return None

    def _frame_deadline(self) -> float:
        return self.clock() + self._byte_time * v1.MAX_FRAME + self._gap

    def _mark(self, dev: _Device, online: bool) -> None:
        now = self.clock()
        dev.next_try = now + (
            self.settings.poll_interval if online else self.settings.offline_poll_interval
        )
        if online == dev.online and dev.reported:
            return
        dev.online, dev.reported = online, True
        if online:
            dev.display_dirty = dev.display_urgent = True  # whatever it showed may be gone
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
        cur = dev.cursor
        if (
            not reply.events
            and not reply.overflow
            and cur is not None
            and cur.boot_id == reply.boot
        ):
            return  # the idle case: nothing new from a device we know
        bus = self.settings.bus
        if dev.cursor is None or dev.cursor.boot_id != reply.boot:
            if dev.cursor is not None:
                log.info("bus %s: device %d rebooted (boot %d)", bus, dev.address, reply.boot)
            cur = PadCursor(reply.boot, 0, self.epoch(), 0)
            with self._persist:
                with self._lock:
                    dev.cursor = dev.taken = cur
                    dev.pending.clear()  # confirmations for the old boot are ignored
                    dev.display_dirty = dev.display_urgent = True
                self._store(dev, cur)
        with self._lock:
            assert dev.cursor is not None
            taken = dev.taken or dev.cursor
        if reply.overflow:
            self.stats["overflow"] += 1
            log.warning("bus %s: device %d lost events (store full)", bus, dev.address)
        for wire in reply.events:
            nxt = taken.after(wire.number)
            if nxt is None:
                self.stats["repeated_events"] += 1
                continue
            event = self._event(dev.address, nxt, wire)
            if event is None:  # refused here: confirmed at once, stored in order
                with self._persist:
                    with self._lock:
                        dev.taken = nxt
                        dev.pending.append(_Taken(nxt, done=True))
                        new = self._advance(dev)
                    self._store(dev, new)
            else:  # nothing to store yet: never wait for a confirmation's disk write
                with self._lock:
                    dev.taken = nxt
                    dev.pending.append(_Taken(nxt))
            if event is not None:
                try:
                    self.on_key(event)
                except Exception:
                    log.exception("bus %s: on_key failed for %s", bus, event.idempotency_key)
                    with self._lock:  # not taken: the device sends it again
                        dev.taken = taken
                        dev.pending.pop()
                    return
                if self.auto_confirm:
                    self.confirm(event)
            taken = nxt

    def _event(self, address: int, at: PadCursor, wire: v1.WireEvent) -> KeyEvent | None:
        if wire.key not in V1_WIRE_KEYS or (Key(wire.key) in KEYS_WITH_ARG and not wire.arg):
            self.stats["refused_keys"] += 1
            log.warning("bus %s: %d sent unusable key 0x%02X", self.settings.bus, address, wire.key)
            return None
        return KeyEvent(
            self.settings.bus,
            address,
            at.boot_id,
            wire.number,
            Key(wire.key),
            wire.arg,
            epoch=at.epoch,
            serial=at.serial,
        )
