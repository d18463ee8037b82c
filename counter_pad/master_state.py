"""The bus master's settings and what it keeps per device: its link state and the requests
it owes the device (display, evaluation, beeps), with the rules for busy answers.

What devices are asked to do (docs/PAD_PROTOCOL.md, "Protocol v1: commands to devices"):

- SHOW and the evaluator's EVAL_START / EVAL_CANCEL are *state*: the newest wins, and it is
  sent until the device has answered OK to it, and again after the device rebooted or came
  back online. BEEP is one-shot.
- A busy answer (NAK 3) is logged and the request tried again after the rest of the poll
  cycle, at most three times; then the device counts as failing this cycle: state is tried
  again after ``offline_poll_interval``, a BEEP is dropped. Other NAKs are not retried.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from counter_pad import frames_v1 as v1
from counter_pad.memory import PadCursor
from counter_pad.settings import PadBus

log = logging.getLogger("counter_pad.master")

BUSY_RETRIES = 3  # the contract's "at most three times" after a NAK 3
POLL_BYTES = 10 + 11  # a POLL and an empty EVENTS reply on the wire
Build = Callable[[int], bytes]


@dataclass(frozen=True)
class MasterSettings:
    bus: str
    addresses: tuple[int, ...] = tuple(range(1, 32))
    baud: int = 115200
    first_byte_timeout: float = 0.050
    inter_byte_gap: float = 0.005
    retries: int = 2
    offline_poll_interval: float = 2.0
    poll_interval: float = 0.0  # least time between two polls of one device
    background_share: float = 0.1  # line time for display refreshes, as a share of polls
    noise_log_interval: float = 60.0  # line trouble is summed up in the log this often

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

    @classmethod
    def of(cls, bus: PadBus) -> MasterSettings:
        """The settings of a configured [[pads.buses]] line of protocol v1."""
        return cls(
            bus=bus.name,
            addresses=tuple(sorted(d.address for d in bus.devices)),
            baud=bus.baud,
            first_byte_timeout=bus.reply_timeout_ms / 1000,
            inter_byte_gap=bus.gap_ms / 1000,
            retries=bus.retries,
            offline_poll_interval=bus.offline_poll_s,
        )


@dataclass(frozen=True)
class Quiet:
    """An empty EVENTS reply (for every SEQ) and what it decodes to."""

    frame: v1.SeqFrame
    events: v1.Events


@dataclass(frozen=True)
class Command:
    kind: str  # "show", "eval", "beep"
    value: object  # what was asked (to tell it from a newer one when the OK comes)
    build: Build
    urgent: bool = False


@dataclass
class Device:
    address: int
    info: v1.Info | None = None
    online: bool = False
    reported: bool = False  # whether on_status has heard of this device yet
    next_try: float = 0.0
    display: tuple[str, str] | None = None
    display_dirty: bool = False
    display_urgent: bool = False  # answers a press, or the device lost what it showed
    evaluation: str | None = None  # the ticket an evaluator should be rating, or None
    eval_dirty: bool = False
    beeps: deque[int] = field(default_factory=deque)
    busy: int = 0  # NAK 3 in a row for the request at the head
    hold_until: float = 0.0  # failing this cycle: no requests before then
    poll: v1.SeqFrame | None = None  # the POLL for the cursor below, any SEQ
    poll_for: PadCursor | None = None
    quiet: Quiet | None = None  # the empty EVENTS reply this device last sent
    # Polled with BOOT 0 (acknowledging nothing) since the master started, the port came
    # back or the device came back: a device that rebooted and drew the same boot id shows
    # BOOTED before an ACK for its old boot could remove its new events.
    peeked: bool = False

    @property
    def owed(self) -> bool:
        """Something to send before the next POLL (read unlocked: a miss waits a pass)."""
        return self.display_dirty or self.eval_dirty or bool(self.beeps)

    def lost_state(self) -> None:
        """The device rebooted or was away: what it showed or was asking may be gone."""
        self.display_dirty = self.display_urgent = True
        self.eval_dirty = self.eval_dirty or self.evaluation is not None


@dataclass(frozen=True)
class DeviceStatus:
    address: int
    online: bool
    info: v1.Info | None
    cursor: PadCursor | None


class Requests:
    """Choosing the next request for a device and taking its answer (under ``lock``, the
    master's device lock). ``budget``: line bytes background displays may still use in
    this pass."""

    def __init__(
        self,
        bus: str,
        lock: threading.Lock,
        stats: Counter[str],
        hold_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.bus = bus
        self.lock = lock
        self.stats = stats
        self.hold_s = hold_s
        self.clock = clock
        self.budget = 0.0

    def next(self, dev: Device, only_urgent: bool) -> Command | None:
        """The next request for ``dev``: its display, its evaluation, then beeps."""
        with self.lock:
            if dev.display is None:  # nothing to show (yet): nothing to resend
                dev.display_dirty = dev.display_urgent = False
            show = dev.display_dirty and (dev.display_urgent or self.budget > 0)
            if show and dev.display is not None:
                l1, l2 = dev.display
                if not dev.display_urgent:
                    self.budget -= len(v1.encode_show(dev.address, 0, l1, l2)) + v1.OVERHEAD
                    self.stats["background_shows"] += 1
                urgent, dev.display_urgent = dev.display_urgent, False
                a = dev.address
                return Command(
                    "show", dev.display, lambda seq: v1.encode_show(a, seq, l1, l2), urgent
                )
            if only_urgent:
                return None
            if dev.eval_dirty:
                ticket, a = dev.evaluation, dev.address
                if ticket is None:
                    return Command("eval", None, lambda seq: v1.encode_eval_cancel(a, seq))
                return Command("eval", ticket, lambda seq: v1.encode_eval_start(a, seq, ticket))
            if dev.beeps:
                count, a = dev.beeps[0], dev.address
                return Command("beep", count, lambda seq: v1.encode_beep(a, seq, count))
            return None

    def done(self, dev: Device, command: Command) -> None:
        """The device answered OK: the state it was sent is shown (unless newer came)."""
        with self.lock:
            dev.busy = 0
            if command.kind == "show" and dev.display == command.value:
                dev.display_dirty = False
            elif command.kind == "eval" and dev.evaluation == command.value:
                dev.eval_dirty = False
            elif command.kind == "beep" and dev.beeps:
                dev.beeps.popleft()

    def refused(self, dev: Device, command: Command, nak: v1.Nak) -> bool:
        """A NAK, logged and counted. True: go on with the device's other requests now;
        False: try again later (after this cycle, or after ``hold_s`` when it stays busy).
        A refusal other than busy is final for that request."""
        a = dev.address
        if nak.code != v1.NakCode.BUSY:
            self.stats["nak"] += 1
            log.warning("bus %s: %d refused %s: %s (not retried)", self.bus, a, command.kind, nak)
            self.done(dev, command)
            return True
        self.stats["busy"] += 1
        with self.lock:
            dev.busy += 1
            busy = dev.busy
            if command.urgent:
                dev.display_urgent = True  # still the answer to a press
        if busy <= BUSY_RETRIES:
            log.warning(
                "bus %s: %d busy (NAK 3) for %s; try %d of %d after this cycle",
                self.bus,
                a,
                command.kind,
                busy,
                BUSY_RETRIES,
            )
            return False
        self.stats["busy_failures"] += 1
        with self.lock:
            dev.busy = 0
            dev.hold_until = self.clock() + self.hold_s
            if command.kind == "beep" and dev.beeps:
                dev.beeps.popleft()
        what = "dropped" if command.kind == "beep" else f"sent again in {self.hold_s:g} s"
        log.warning("bus %s: %d stays busy (NAK 3); %s %s", self.bus, a, command.kind, what)
        return False
