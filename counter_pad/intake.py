"""Events exactly once: the v1 master's cursors, boots, and the hand-over of key presses.

One :class:`Intake` per bus master (docs/PAD_PROTOCOL.md, "Protocol v1: events, exactly
once"). Per device it keeps the *confirmed* cursor (stored in the memory and acknowledged
to the device) and the *taken* one (handed to ``on_key``, waiting for the hub), and
decides for each EVENTS reply:

- a boot id other than the cursor's, or BOOTED set under a boot whose replies came with
  BOOTED clear before (a reboot that drew the same id; the contract makes BOOTED
  normative for this): a new boot. The old number is forgotten, the events are new;
- an event after the taken number is new, anything else a repeat of one already taken;
  the serial counts every event taken from the device (past the wire's 1-255 wrap, and on
  across its boots), so keys never repeat within one memory generation;
- OVERFLOW: events were lost in the device (counted, logged at a sane rate).

The memory is written on the caller's thread: by :meth:`confirm` (the hub's thread) in
order of the events, and by :meth:`take` only for a new boot or a key refused here.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from counter_pad import frames_v1 as v1
from counter_pad.keys import KEYS_WITH_ARG, V1_WIRE_KEYS, Key, KeyEvent
from counter_pad.memory import PadCursor, PadMemory
from counter_pad.noise import NoiseLog

log = logging.getLogger(__name__)

OnKey = Callable[[KeyEvent], None]
EVAL_KEYS = frozenset(k for k in Key if 0x21 <= k <= 0x26)


@dataclass
class _Taken:
    cursor: PadCursor
    done: bool = False


@dataclass
class DeviceIntake:
    """One device's cursors. ``cursor`` is replaced whole, never changed in place: the
    master builds its POLL for a cursor object and rebuilds it when that changes."""

    address: int
    cursor: PadCursor | None = None  # confirmed: stored in the memory and acknowledged
    taken: PadCursor | None = None  # the last event handed to on_key (>= cursor)
    pending: deque[_Taken] = field(default_factory=deque)  # taken, in order
    loaded: bool = False


@dataclass(frozen=True)
class Taken:
    """What a reply changed: a new boot (the display must be sent again), keys of
    evaluations that ended (a rating or the no-rating timeout)."""

    new_boot: bool = False
    rated: bool = False


class Intake:
    def __init__(
        self,
        bus: str,
        memory: PadMemory,
        on_key: OnKey,
        noise: NoiseLog,
        *,
        auto_confirm: bool = True,
        epoch: Callable[[], int] = lambda: 0,
    ) -> None:
        self.bus = bus
        self.memory = memory
        self.on_key = on_key
        self.noise = noise
        self.stats = noise.stats
        self.auto_confirm = auto_confirm
        self.epoch = epoch
        self._lock = threading.Lock()  # cursors, shared with the hub link's threads
        self._persist = threading.Lock()  # memory writes, in the order of the changes
        self.devices: dict[int, DeviceIntake] = {}

    def device(self, address: int) -> DeviceIntake:
        dev = self.devices.get(address)
        if dev is None:
            dev = self.devices[address] = DeviceIntake(address)
        return dev

    def load(self, address: int) -> PadCursor | None:
        """The confirmed cursor, read from the memory before the device's first POLL."""
        dev = self.device(address)
        if not dev.loaded:
            with self._lock:
                dev.cursor, dev.loaded = self.memory.get(self.bus, address), True
                dev.taken = dev.cursor
        return dev.cursor

    # ------------------------------------------------------------ confirmations

    def confirm(self, event: KeyEvent) -> None:
        """The action of ``event`` is committed: store and acknowledge it (and any taken
        before it that are confirmed too). A confirmation for an older boot is ignored."""
        dev = self.devices.get(event.address)
        if dev is None or event.bus != self.bus:
            return
        with self._persist:
            with self._lock:
                for t in dev.pending:
                    c = t.cursor
                    if (c.boot_id, c.epoch, c.serial) == (event.boot_id, event.epoch, event.serial):
                        t.done = True
                        break
                else:
                    return
                new = self._advance(dev)
            self._store(dev, new)

    def _advance(self, dev: DeviceIntake) -> PadCursor | None:
        """Move the cursor over the confirmed head of ``pending`` (lock held); the new
        cursor to store, if it moved."""
        new = None
        while dev.pending and dev.pending[0].done:
            new = dev.pending.popleft().cursor
        if new is not None:
            dev.cursor = new
        return new

    def _store(self, dev: DeviceIntake, cursor: PadCursor | None) -> None:
        """Write a cursor (``_persist`` held, ``_lock`` not: the poll loop never waits
        for the disk)."""
        if cursor is not None:
            self.memory.put(self.bus, dev.address, cursor)

    # ------------------------------------------------------------ replies

    def take(self, address: int, reply: v1.Events) -> Taken:
        """Take a POLL's reply: new boots, new events (to ``on_key``), repeats skipped."""
        dev = self.device(address)
        cur = dev.cursor
        if cur is not None and cur.boot_id == reply.boot:
            if reply.booted and cur.clear_seen:
                log.warning(
                    "bus %s: device %d rebooted and drew the same boot id %d (BOOTED again)",
                    self.bus,
                    address,
                    reply.boot,
                )
                self.stats["same_boot_reboots"] += 1
                cur = None
            elif not reply.booted and not cur.clear_seen:
                cur = self._cleared(dev, cur)
            if cur is not None and not reply.events and not reply.overflow:
                return Taken()  # the idle case: nothing new from a device we know
        new_boot = cur is None or cur.boot_id != reply.boot
        if new_boot:
            if cur is not None:
                log.info("bus %s: device %d rebooted (boot %d)", self.bus, address, reply.boot)
            self._new_boot(dev, reply)
        if reply.overflow:
            self.noise.note("overflow", detail=f"address {address}")
        rated = self._events(dev, reply.events)
        return Taken(new_boot, rated)

    def _cleared(self, dev: DeviceIntake, cur: PadCursor) -> PadCursor:
        """The first reply of this boot with BOOTED clear: remembered (in the memory too,
        so a later BOOTED under the same id is a reboot even after a restart)."""
        with self._persist:
            with self._lock:
                c = dev.cursor
                if c is None or c.boot_id != cur.boot_id:
                    return cur
                dev.cursor = PadCursor(c.boot_id, c.last_event, c.epoch, c.serial, True)
                t = dev.taken or c
                dev.taken = PadCursor(t.boot_id, t.last_event, t.epoch, t.serial, True)
                dev.pending = deque(
                    _Taken(
                        PadCursor(
                            p.cursor.boot_id,
                            p.cursor.last_event,
                            p.cursor.epoch,
                            p.cursor.serial,
                            True,
                        ),
                        p.done,
                    )
                    for p in dev.pending
                )
                new = dev.cursor
            self._store(dev, new)
        return new

    def _new_boot(self, dev: DeviceIntake, reply: v1.Events) -> None:
        """A boot met for the first time: its numbers start again, the serial goes on (so
        keys stay unique when a reboot draws the same boot id on the same day)."""
        serial = dev.cursor.serial if dev.cursor is not None else 0
        cur = PadCursor(reply.boot, 0, self.epoch(), serial, not reply.booted)
        with self._persist:
            with self._lock:
                dev.cursor = dev.taken = cur
                dev.pending.clear()  # confirmations for the old boot are ignored
            self._store(dev, cur)

    def _events(self, dev: DeviceIntake, events: tuple[v1.WireEvent, ...]) -> bool:
        with self._lock:
            assert dev.cursor is not None
            taken = dev.taken or dev.cursor
        rated = False
        for wire in events:
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
                taken = nxt
                continue
            with self._lock:  # nothing to store yet: never wait for a confirmation's write
                dev.taken = nxt
                dev.pending.append(_Taken(nxt))
            try:
                self.on_key(event)
            except Exception:
                log.exception("bus %s: on_key failed for %s", self.bus, event.idempotency_key)
                with self._lock:  # not taken: the device sends it again
                    dev.taken = taken
                    dev.pending.pop()
                return rated
            rated = rated or event.key in EVAL_KEYS
            if self.auto_confirm:
                self.confirm(event)
            taken = nxt
        return rated

    def _event(self, address: int, at: PadCursor, wire: v1.WireEvent) -> KeyEvent | None:
        if wire.key not in V1_WIRE_KEYS or (Key(wire.key) in KEYS_WITH_ARG and not wire.arg):
            self.noise.note("refused_keys", detail=f"address {address} key 0x{wire.key:02X}")
            return None
        return KeyEvent(
            self.bus,
            address,
            at.boot_id,
            wire.number,
            Key(wire.key),
            wire.arg,
            epoch=at.epoch,
            serial=at.serial,
            memory=self.memory.generation,
        )
