"""Simulated devices: pure state machines the simulator drives (no IO, no threads).

A v1 device keeps its own event store as contracts/pad-bus.md says; a legacy pad sends
key frames on its own until the host echoes them.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from counter_pad import frames_legacy as fl
from counter_pad import frames_v1 as v1

STORE_CAPACITY = 16
LEGACY_RETRANSMIT = 0.3  # seconds without an echo before a legacy pad sends again
LEGACY_TRIES = 3


@dataclass
class Faults:
    """Per-device faults, set by the simulator's commands."""

    drop_replies: int = 0  # the device acts on the request but its reply is lost
    corrupt_replies: int = 0  # one byte of the reply is flipped on the wire
    silent: bool = False  # unplugged: hears nothing, says nothing, keeps its state
    deaf_acks: bool = False  # answers POLLs but takes no ACK: its events stay unacknowledged
    lose_echoes: int = 0  # legacy: the next n frames from the host never arrive
    busy: int = 0  # the next n requests other than POLL and HELLO get NAK 3 (busy)


class SimV1Device:
    """A call-pad, evaluator or counter display speaking protocol v1."""

    def __init__(
        self,
        address: int,
        device_type: v1.DeviceType,
        rng: random.Random,
        capacity: int = STORE_CAPACITY,
        model: str = "HALL-SIM",
        booted_until_reply: bool = True,
    ) -> None:
        self.address = address
        # BOOTED in the reply to the POLL that clears it: True (the default) reports the flag
        # as it stood when the request came, so the master sees every boot's BOOTED once;
        # False reports it as it is after (firmware that clears it first).
        self.booted_until_reply = booted_until_reply
        self.device_type = device_type
        self.rng = rng
        self.capacity = capacity
        self.info = v1.Info(device_type, 1, 0, model)
        self.faults = Faults()
        self.boot_id = 0
        self.power_on()

    def power_on(self, same_boot_id: bool = False) -> None:
        """Reboot: new random boot id (or, 1 in 65,535, the same one again), empty store,
        numbering from 1, blank display."""
        old = self.boot_id
        while self.boot_id == old and not (same_boot_id and old):
            self.boot_id = self.rng.randint(1, 0xFFFF)
        self.store: deque[v1.WireEvent] = deque()
        self.next_no = 1
        self.booted = True
        self.overflow = False
        self.overflow_sent = False
        self.lines = ("", "")
        self.beeps = 0
        self.eval_ticket: str | None = None

    @property
    def flags(self) -> int:
        return (v1.FLAG_BOOTED if self.booted else 0) | (v1.FLAG_OVERFLOW if self.overflow else 0)

    def press(self, key: int, arg: str = "") -> int | None:
        """Store an event; its number, or None when the store is full (OVERFLOW)."""
        if len(self.store) >= self.capacity:
            self.overflow = True
            return None
        number = self.next_no
        self.next_no = number % 255 + 1
        self.store.append(v1.WireEvent(number, key, arg))
        return number

    def rate(self, level: int) -> int | None:
        """An evaluator rating 1-5; ARG is the ticket of the running evaluation."""
        if not 1 <= level <= 5:
            raise ValueError(f"rating {level} not in 1-5")
        ticket, self.eval_ticket = self.eval_ticket or "", None
        return self.press(0x20 + level, ticket)

    def rating_timeout(self) -> int | None:
        ticket, self.eval_ticket = self.eval_ticket or "", None
        return self.press(0x26, ticket)

    def handle(self, frame: v1.Frame) -> bytes | None:
        """Act on a request to this device or to broadcast; the reply, if one is due."""
        broadcast = frame.addr == v1.BROADCAST
        try:
            request = v1.decode_request(frame)
        except (v1.UnknownCommand, v1.BadLength) as exc:
            return None if broadcast else v1.encode_nak(self.address, frame.seq, exc.nak)
        if broadcast and not isinstance(request, v1.Show | v1.Beep):
            return None
        if self.faults.busy and not broadcast and not isinstance(request, v1.Poll | v1.Hello):
            self.faults.busy -= 1
            return v1.encode_nak(self.address, frame.seq, v1.NakCode.BUSY)
        reply = self._act(request, frame.seq)
        return None if broadcast else reply

    def _act(self, request: v1.Request, seq: int) -> bytes:
        addr = self.address
        match request:
            case v1.Hello():
                return v1.encode_info(addr, seq, self.info)
            case v1.Poll(ack=ack, boot=boot):
                booted = self.booted
                self._accept_ack(ack, boot)
                flags = self.flags
                if booted and self.booted_until_reply:
                    flags |= v1.FLAG_BOOTED
                payload, _ = v1.events_payload(flags, self.boot_id, list(self.store))
                if self.overflow:
                    self.overflow_sent = True
                return v1.encode_frame(addr | v1.REPLY_BIT, seq, v1.Cmd.EVENTS, payload)
            case v1.Show(line1=l1, line2=l2):
                self.lines = (l1, l2)
            case v1.Beep(count=count):
                self.beeps += count
            case v1.EvalStart() | v1.EvalCancel():
                if self.device_type != v1.DeviceType.EVALUATOR:
                    return v1.encode_nak(addr, seq, v1.NakCode.UNKNOWN_COMMAND)
                self.eval_ticket = request.ticket[:8] if isinstance(request, v1.EvalStart) else None
        return v1.encode_ok(addr, seq)

    def _accept_ack(self, ack: int, boot: int) -> None:
        if boot != self.boot_id or self.faults.deaf_acks:
            return  # an ACK for another boot removes nothing
        self.booted = False
        if self.overflow_sent:
            self.overflow = self.overflow_sent = False
        numbers = [e.number for e in self.store]
        if ack in numbers:
            for _ in range(numbers.index(ack) + 1):
                self.store.popleft()


class SimLegacyPad:
    """A legacy call-pad: sends key frames unasked and repeats them until echoed."""

    def __init__(self, address: int) -> None:
        self.address = address
        self.faults = Faults()
        self.digits = bytes((fl.BLANK,) * 6)
        self.beeps = 0
        self.outbox: deque[bytes] = deque()
        self._tries = 0
        self._next_send = 0.0
        self.given_up = 0  # key frames never echoed

    def power_on(self) -> None:
        """Legacy pads keep nothing over a power cycle."""
        self.digits = bytes((fl.BLANK,) * 6)
        self.outbox.clear()
        self._tries = 0

    @property
    def display(self) -> str:
        return fl.render_digits(self.digits)

    def press(self, code: int) -> None:
        self.outbox.append(fl.encode_key(self.address, code))

    def due(self, now: float) -> bytes | None:
        """The key frame to (re)send now, if any."""
        if not self.outbox or now < self._next_send:
            return None
        if self._tries >= LEGACY_TRIES:
            self.outbox.popleft()
            self.given_up += 1
            self._tries = 0
            return self.due(now)
        self._tries += 1
        self._next_send = now + LEGACY_RETRANSMIT
        return self.outbox[0]

    def handle(self, frame: fl.LegacyFrame) -> bytes | None:
        if frame.cmd == fl.CMD_KEY:
            if self.outbox and frame.encode() == self.outbox[0]:
                self.outbox.popleft()
                self._tries = 0
                self._next_send = 0.0
            return None
        if frame.cmd == fl.CMD_DISPLAY and len(frame.data) == 6:
            self.digits = frame.data
        elif frame.cmd == fl.CMD_BEEP and len(frame.data) == 1:
            self.beeps += frame.data[0]
        else:
            return None
        return frame.encode()  # the pad echoes host commands as its acknowledgement
