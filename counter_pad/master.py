"""The v1 polling bus master: one per serial port, one thread, no queue rules.

It scans for devices with HELLO, polls them round-robin, sends what the pads service wants
the devices to show and do (`counter_pad.master_state`: the requests owed to each device,
busy answers), and hands each new key press to ``on_key`` exactly once
(`counter_pad.intake`: cursors, boots, confirmations; `counter_pad.exchange`: the bytes).

A press is *taken* when it is handed to ``on_key`` and *confirmed* when its action is
committed: with ``auto_confirm`` (the default) as soon as ``on_key`` returns; otherwise
when the consumer calls :meth:`BusMaster.confirm`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from counter_pad import frames_v1 as v1
from counter_pad.exchange import LineIO
from counter_pad.intake import Intake, OnKey
from counter_pad.keys import KeyEvent
from counter_pad.master_state import (
    POLL_BYTES,
    Build,
    Device,
    DeviceStatus,
    MasterSettings,
    Quiet,
    Requests,
)
from counter_pad.memory import PadMemory
from counter_pad.noise import NoiseLog
from counter_pad.port import Port
from counter_pad.timing import fine_timer_slack

log = logging.getLogger(__name__)
OnStatus = Callable[[int, bool], None]


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
        self.settings = settings
        self.on_status = on_status
        self.clock = clock
        self.sleep = sleep
        self.stats: Counter[str] = Counter()
        self.noise = NoiseLog(
            f"bus {settings.bus}", self.stats, log, interval=settings.noise_log_interval
        )
        self.io = LineIO(
            port,
            settings.baud,
            settings.first_byte_timeout,
            settings.gap,
            settings.addresses,
            self.noise,
            clock,
            sleep,
        )
        self.intake = Intake(
            settings.bus, memory, on_key, self.noise, auto_confirm=auto_confirm, epoch=epoch
        )
        self._lock = threading.Lock()  # device state, shared with the hub link's threads
        self._devices = {a: Device(a) for a in settings.addresses}
        self.requests = Requests(
            settings.bus, self._lock, self.stats, settings.offline_poll_interval, clock
        )
        self._broadcasts: deque[bytes] = deque()
        self._seq = 0
        self._urgent = False  # some device has an urgent display waiting

    @property
    def port(self) -> Port:
        return self.io.port

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
        v1.encode_beep(address, 0, count)  # validate now, in the caller's thread
        with self._lock:
            self._devices[address].beeps.append(count)

    def eval_start(self, address: int, ticket: str) -> None:
        """Ask an evaluator for a rating of ``ticket`` (kept until it answers OK)."""
        v1.encode_eval_start(address, 0, ticket)
        self._evaluation(address, ticket)

    def eval_cancel(self, address: int) -> None:
        self._evaluation(address, None)

    def _evaluation(self, address: int, ticket: str | None) -> None:
        with self._lock:
            dev = self._devices[address]
            dev.evaluation, dev.eval_dirty = ticket, True

    def broadcast_show(self, line1: str, line2: str) -> None:
        l1, l2 = v1.fit_line(line1).decode("gb18030"), v1.fit_line(line2).decode("gb18030")
        with self._lock:
            self._broadcasts.append(v1.encode_show(v1.BROADCAST, 0, l1, l2))

    def broadcast_beep(self, count: int) -> None:
        frame = v1.encode_beep(v1.BROADCAST, 0, count)
        with self._lock:
            self._broadcasts.append(frame)

    def status(self) -> dict[int, DeviceStatus]:
        cursors = {a: self.intake.device(a).cursor for a in self._devices}
        with self._lock:
            return {
                a: DeviceStatus(a, d.online, d.info, cursors[a]) for a, d in self._devices.items()
            }

    def confirm(self, event: KeyEvent) -> None:
        """The action of ``event`` is committed: store and acknowledge it, in order."""
        self.intake.confirm(event)

    def attach(self, port: Port) -> None:
        """Use ``port`` from now on (after the adapter came back): poll everyone at once."""
        with self._lock:
            self.io.port = port
            self.io.flush = True
            for dev in self._devices.values():
                dev.next_try = 0.0
                dev.peeked = False

    def detach(self) -> None:
        """The port is gone: every device is unreachable until :meth:`attach`."""
        for dev in self._devices.values():
            if dev.online:
                self._mark(dev, online=False)

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
        self.requests.budget = self.settings.background_share * POLL_BYTES * len(due)
        for dev in due:
            if self._urgent:
                self._urgent_shows()
            if (
                dev.quiet is not None
                and dev.online
                and dev.poll_for is self.intake.device(dev.address).cursor
            ):
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
            self.io.send(frame)

    def _urgent_shows(self) -> None:
        """Displays that answer a press go out now, not at their device's turn."""
        self._urgent = False
        for dev in self._devices.values():
            if dev.display_urgent and dev.display_dirty and dev.online and dev.info is not None:
                self._commands(dev, 1 + self.settings.retries, only_urgent=True)

    def _poll_idle(self, dev: Device, quiet: Quiet) -> None:
        """Serve a device that is online and was idle at its last POLL: the common case,
        kept short. Anything but its idle reply again goes on as in :meth:`_serve`."""
        poll = dev.poll
        if self.io.flush or dev.owed or poll is None or not dev.peeked:
            self._serve(dev)
            return
        self._seq = seq = (self._seq + 1) & 0xFF
        request = poll.frame(seq)
        expect = quiet.frame.frame(seq)
        now = self.clock()
        wait = self.io.wait_for(request)
        data = self.io.port.ask(request, v1.MAX_FRAME, wait)
        if data == expect:  # nothing new; the cursor's boot is the reply's (see _polled)
            if self.settings.poll_interval:
                dev.next_try = self.clock() + self.settings.poll_interval
            return
        got = self.io.received(data, now, wait, dev.address, seq, expect)
        reply = self._transact(dev, poll.frame, 1 + self.settings.retries, quiet, (seq, got))
        self._polled(dev, reply)

    def _serve(self, dev: Device) -> None:
        attempts = 1 + self.settings.retries if dev.online else 1
        if dev.info is None:
            reply = self._transact(dev, lambda s: v1.encode_hello(dev.address, s), attempts)
            if isinstance(reply, v1.Info):
                dev.info = reply
                log.info("bus %s: %d is %s", self.settings.bus, dev.address, reply)
            return
        if not self._commands(dev, attempts):
            return  # the device did not answer: it is offline now
        cur = self.intake.load(dev.address)
        if not dev.peeked:  # look before acknowledging: it may have rebooted meanwhile
            peek = self._transact(dev, lambda s: v1.encode_poll(dev.address, s, 0, 0), attempts)
            if peek is None:
                return
            dev.peeked = True
            self._polled(dev, peek)
            return  # its events are acknowledged by the next POLL
        if dev.poll is None or dev.poll_for is not cur:
            ack, boot = (cur.last_event, cur.boot_id) if cur is not None else (0, 0)
            v1.encode_poll(dev.address, 0, ack, boot)  # checks ACK and BOOT
            dev.poll = v1.SeqFrame(dev.address, v1.Cmd.POLL, bytes((ack, boot & 0xFF, boot >> 8)))
            dev.poll_for = cur
        self._polled(dev, self._transact(dev, dev.poll.frame, attempts, dev.quiet))

    def _commands(self, dev: Device, attempts: int, only_urgent: bool = False) -> bool:
        """Send what the device should show and do; False when it stopped answering."""
        while dev.owed and self.clock() >= dev.hold_until:
            command = self.requests.next(dev, only_urgent)
            if command is None:
                return True
            reply = self._transact(dev, command.build, attempts)
            if reply is None:
                return False
            if not isinstance(reply, v1.Nak):
                self.requests.done(dev, command)
            elif not self.requests.refused(dev, command, reply):
                return True  # busy: again after the rest of the poll cycle
        return True

    def _polled(self, dev: Device, reply: v1.Reply | None) -> None:
        """Take a POLL's reply. An empty one is kept (:class:`Quiet`) to recognise the
        next ones by their bytes: taken here first, so the cursor has its boot id."""
        if not isinstance(reply, v1.Events):
            return
        quiet = dev.quiet
        if not reply.events and (quiet is None or quiet.events is not reply):
            payload = bytes((reply.flags, reply.boot & 0xFF, reply.boot >> 8, 0))
            frame = v1.SeqFrame(dev.address | v1.REPLY_BIT, v1.Cmd.EVENTS, payload)
            dev.quiet = Quiet(frame, reply)
        taken = self.intake.take(dev.address, reply)
        if taken.new_boot or taken.rated:
            with self._lock:
                if taken.new_boot:  # whatever it showed or was asking is gone
                    dev.lost_state()
                    self._urgent = True
                elif not dev.eval_dirty:
                    dev.evaluation = None  # the evaluation ended with a rating

    def _transact(
        self,
        dev: Device,
        build: Build,
        attempts: int,
        quiet: Quiet | None = None,
        first: tuple[int, v1.Frame | bytes | None] | None = None,
    ) -> v1.Reply | None:
        """Send a request up to ``attempts`` times (same SEQ) until a good reply comes.
        ``quiet``: an empty EVENTS reply this request may get, recognised without
        decoding. ``first``: the SEQ and outcome of a first attempt already made."""
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
                got = self.io.exchange(request, dev.address, seq, expect)
            if got is None:
                continue
            if isinstance(got, bytes):  # ``expect`` itself
                assert quiet is not None
                reply: v1.Reply = quiet.events
            else:
                try:
                    reply = v1.decode_reply(got)
                except v1.FrameError as exc:
                    self.noise.note("bad_replies", detail=f"address {dev.address}: {exc}")
                    continue
            self._mark(dev, online=True)
            return reply
        self._mark(dev, online=False)
        return None

    def _mark(self, dev: Device, online: bool) -> None:
        now = self.clock()
        dev.next_try = now + (
            self.settings.poll_interval if online else self.settings.offline_poll_interval
        )
        if online == dev.online and dev.reported:
            return
        dev.online, dev.reported = online, True
        if online:
            with self._lock:
                dev.lost_state()
            log.info("bus %s: device %d online", self.settings.bus, dev.address)
        elif dev.info is None:
            log.info("bus %s: nothing answers at %d", self.settings.bus, dev.address)
        else:
            dev.peeked = False
            self.stats["offline"] += 1
            log.warning("bus %s: device %d offline", self.settings.bus, dev.address)
        if self.on_status is not None:
            self.on_status(dev.address, online)


__all__ = ["BusMaster", "DeviceStatus", "MasterSettings", "OnKey", "OnStatus"]
