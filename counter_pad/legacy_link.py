"""The host side of the legacy profile (``FF 68 L L 68 …``) on one line; one thread.

Legacy pads send key frames on their own and repeat them until the host echoes them. The
link echoes each key frame, turns key sequences into presses (:mod:`legacy_keys`), and
drives each pad's digits (CMD 0x02) and beeper (CMD 0x03), waiting for the pad's echo.

Exactly once, as far as the profile allows (docs/PAD_PROTOCOL.md, "Legacy profile:
exactly once"): a press is written to the journal before its key frame is echoed and
leaves the journal when its action is confirmed, so a master killed in between replays it
with the same idempotency key. The same action key frame again within ``repeat_window``
of the last one, with no other key between, is the pad repeating a frame whose echo was
lost: echoed again, not taken again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from counter_pad import frames_legacy as fl
from counter_pad.frames_v1 import wire_time
from counter_pad.keys import KeyEvent, KeyPress
from counter_pad.legacy_keys import LegacyKeyInterpreter, Rejected
from counter_pad.master import OnKey, OnStatus
from counter_pad.memory import PressJournal
from counter_pad.noise import NoiseLog
from counter_pad.port import UNPLUGGED, Port
from counter_pad.settings import PadBus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LegacySettings:
    bus: str
    addresses: tuple[int, ...] = (1,)
    baud: int = 9600
    echo_timeout: float = 0.050  # for a pad's echo, after the frame's wire time
    retries: int = 2
    offline_retry: float = 2.0
    refresh: float = 5.0  # the display is sent again this often (also a keep-alive)
    repeat_window: float = 1.0
    digit_timeout: float = 10.0
    gap: float = 0.005

    def __post_init__(self) -> None:
        bad = [a for a in self.addresses if not 1 <= a <= 255]
        if bad or len(set(self.addresses)) != len(self.addresses):
            raise ValueError(f"addresses must be distinct and in 1-255, got {self.addresses}")

    @classmethod
    def of(cls, bus: PadBus) -> LegacySettings:
        """The settings of a configured [[pads.buses]] line of the legacy profile."""
        return cls(
            bus=bus.name,
            addresses=tuple(sorted(d.address for d in bus.devices)),
            baud=bus.baud,
            echo_timeout=bus.reply_timeout_ms / 1000,
            retries=bus.retries,
            offline_retry=bus.offline_poll_s,
            gap=bus.gap_ms / 1000,
        )


@dataclass
class _Pad:
    address: int
    interpreter: LegacyKeyInterpreter
    online: bool = False
    reported: bool = False
    count: int = 0  # presses numbered in this session
    last_frame: bytes = b""  # the last key frame from this pad
    last_at: float = -1e9
    digits: bytes | None = None  # what the pad should show
    digits_dirty: bool = False
    next_refresh: float = 0.0
    next_try: float = 0.0
    beeps: deque[int] = field(default_factory=deque)


class LegacyLink:
    def __init__(
        self,
        port: Port | None,
        settings: LegacySettings,
        journal: PressJournal,
        on_key: OnKey,
        on_status: OnStatus | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        auto_confirm: bool = True,
        epoch: Callable[[], int] = lambda: 0,
    ) -> None:
        self.port: Port = port or UNPLUGGED
        self.settings = settings
        self.journal = journal
        self.on_key = on_key
        self.on_status = on_status
        self.clock = clock
        self.auto_confirm = auto_confirm
        self.stats: Counter[str] = Counter()
        self.noise = NoiseLog(f"bus {settings.bus}", self.stats, log)
        self._lock = threading.Lock()
        self._pads = {
            a: _Pad(a, LegacyKeyInterpreter(settings.digit_timeout)) for a in settings.addresses
        }
        self._rx = fl.LegacyReceiver()
        self._awaiting: fl.LegacyFrame | None = None
        self._echoed = False
        self.session = journal.next_session(settings.bus)
        self.epoch = epoch()
        self._replay = journal.journal_pending(settings.bus)

    # ------------------------------------------------------------ commands (any thread)

    def show_digits(self, address: int, ticket: str | None, waiting: int | None) -> None:
        digits = fl.display_digits(ticket, waiting)
        with self._lock:
            pad = self._pads[address]
            if pad.digits != digits:
                pad.digits, pad.digits_dirty = digits, True

    def beep(self, address: int, count: int) -> None:
        if not 1 <= count <= 5:
            raise ValueError(f"beep count {count} not in 1-5")
        with self._lock:
            self._pads[address].beeps.append(count)

    def confirm(self, event: KeyEvent) -> None:
        self.journal.journal_done(event)

    def online(self, address: int) -> bool:
        with self._lock:
            return self._pads[address].online

    def attach(self, port: Port) -> None:
        with self._lock:
            self.port = port
            for pad in self._pads.values():
                pad.next_try = 0.0
                pad.digits_dirty = pad.digits is not None
            self._rx = fl.LegacyReceiver()

    def detach(self) -> None:
        for pad in self._pads.values():
            if pad.online:
                self._mark(pad, False)

    # ------------------------------------------------------------ the loop

    def run(self, stop: threading.Event) -> None:
        log.info("bus %s: legacy profile, session %d", self.settings.bus, self.session)
        if self._replay:
            log.info("bus %s: %d presses from the journal", self.settings.bus, len(self._replay))
        while self._replay:
            self._deliver(self._replay.pop(0))
        while not stop.is_set():
            self.step()

    def step(self) -> None:
        quiet = not self._pump()
        if quiet:
            self._send_due()

    def _pump(self) -> bool:
        """Read what arrived within one gap and act on it; whether anything came."""
        data = self.port.read(256, self.settings.gap)
        dropped = self._rx.dropped
        frames = self._rx.feed(data) if data else self._rx.abort() if self._rx.pending else []
        self.noise.note("noise_bytes", self._rx.dropped - dropped)
        for frame in frames:
            self._frame(frame)
        return bool(data)

    def _frame(self, frame: fl.LegacyFrame) -> None:
        pad = self._pads.get(frame.addr)
        if pad is None:
            self.noise.note("foreign_frames", detail=f"address {frame.addr}")
            return
        if frame.cmd == fl.CMD_KEY and frame.key_code is not None:
            self._mark(pad, True)
            self._key(pad, frame)
        elif self._awaiting is not None and frame == self._awaiting:
            self._echoed = True
        else:
            self.noise.note("stray_frames", detail=f"CMD 0x{frame.cmd:02X}")

    def _key(self, pad: _Pad, frame: fl.LegacyFrame) -> None:
        raw = frame.encode()
        code = frame.key_code
        assert code is not None
        now = self.clock()
        # The pad resends an unechoed frame before any later key: the same action frame
        # right after itself is a repeat. Digits are never taken as repeats ("11" is typed).
        repeat = (
            code not in fl.KEY_DIGITS
            and raw == pad.last_frame
            and now - pad.last_at < self.settings.repeat_window
        )
        pad.last_frame, pad.last_at = raw, now
        if repeat:
            self.stats["repeated_frames"] += 1
            self.port.write(raw)  # its echo was lost: echo again, act once
            return
        outcome = pad.interpreter.press(code, now)
        event = None
        if isinstance(outcome, KeyPress):
            pad.count += 1
            event = KeyEvent(
                self.settings.bus,
                pad.address,
                self.session,
                pad.count,
                outcome.key,
                outcome.arg,
                epoch=self.epoch,
                serial=pad.count,
                memory=self.journal.generation,
            )
            self.journal.journal_add(event)  # before the echo: a crash now replays it
            self._deliver(event)  # queued for the hub (the pads service never blocks here)
        self.port.write(raw)
        if isinstance(outcome, Rejected):
            self.stats["rejected_sequences"] += 1
            log.info("bus %s: pad %d: %s", self.settings.bus, pad.address, outcome.reason)
            with self._lock:
                pad.beeps.append(2)

    def _deliver(self, event: KeyEvent) -> None:
        try:
            self.on_key(event)
        except Exception:
            log.exception("bus %s: on_key failed for %s", self.settings.bus, event.idempotency_key)
            return  # stays in the journal: replayed at the next start
        if self.auto_confirm:
            self.confirm(event)

    def _send_due(self) -> None:
        now = self.clock()
        for pad in self._pads.values():
            if now < pad.next_try:
                continue
            frame = self._due_frame(pad, now)
            if frame is None:
                continue
            self._command(pad, frame)
            return  # one command per quiet gap: pads may be talking

    def _due_frame(self, pad: _Pad, now: float) -> fl.LegacyFrame | None:
        with self._lock:
            if pad.beeps:
                return fl.LegacyFrame(pad.address, fl.CMD_BEEP, bytes((pad.beeps[0],)))
            if pad.digits is not None and (pad.digits_dirty or now >= pad.next_refresh):
                return fl.LegacyFrame(pad.address, fl.CMD_DISPLAY, pad.digits)
        return None

    def _command(self, pad: _Pad, frame: fl.LegacyFrame) -> None:
        s = self.settings
        raw = frame.encode()
        for attempt in range(1 + s.retries if pad.online else 1):
            if attempt:
                self.stats["retries"] += 1
            self._awaiting, self._echoed = frame, False
            self.port.write(raw)
            deadline = self.clock() + 2 * wire_time(len(raw), s.baud) + s.echo_timeout
            while not self._echoed and self.clock() < deadline:
                self._pump()
            self._awaiting = None
            if self._echoed:
                self._done(pad, frame)
                self._mark(pad, True)
                return
        self.stats["timeouts"] += 1
        self._mark(pad, False)

    def _done(self, pad: _Pad, frame: fl.LegacyFrame) -> None:
        with self._lock:
            if frame.cmd == fl.CMD_BEEP and pad.beeps:
                pad.beeps.popleft()
            elif frame.cmd == fl.CMD_DISPLAY and frame.data == pad.digits:
                pad.digits_dirty = False
                pad.next_refresh = self.clock() + self.settings.refresh

    def _mark(self, pad: _Pad, online: bool) -> None:
        now = self.clock()
        pad.next_try = now if online else now + self.settings.offline_retry
        if online == pad.online and pad.reported:
            return
        pad.online, pad.reported = online, True
        if online:
            pad.digits_dirty = pad.digits is not None
            log.info("bus %s: legacy pad %d online", self.settings.bus, pad.address)
        else:
            self.stats["offline"] += 1
            log.warning("bus %s: legacy pad %d does not answer", self.settings.bus, pad.address)
        if self.on_status is not None:
            self.on_status(pad.address, online)
