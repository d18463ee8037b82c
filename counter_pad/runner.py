"""`hall pads`: every configured pad line and keypad, linked to the hub, in one process.

One process, one thread per serial line (its master or legacy link, reopening the port by
path when the adapter comes and goes), one per keypad, and the pads service's threads
(hub commands in order, notices, device reports). Lines are independent: a dead adapter
or a silent pad slows no other line. Threads rather than processes: the work is waiting
on serial ports and the hub, a few hundred small frames a second at most, well within one
interpreter; one process keeps one hall-bus connection, one presence and one memory file.
"""

from __future__ import annotations

import functools
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any

from counter_pad.health import INTERVAL_S, LineHealthWriter
from counter_pad.legacy_link import LegacyLink, LegacySettings
from counter_pad.master import BusMaster, MasterSettings
from counter_pad.memory import InMemoryPadMemory, SqlitePadMemory
from counter_pad.outputs import Device, KeypadOutput, LegacyOutput, Output, V1Output
from counter_pad.port import UNPLUGGED, PortGone, SerialPort, keep_open
from counter_pad.service import PadService, ServiceSettings
from counter_pad.settings import PadBus, PadsConfig, PadsSection
from counter_pad.usb_keypad import ADDRESS, KeymapError, KeypadLink
from hall import __version__, heap
from hall import sdnotify as notify
from hall.bus.interface import Bus
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, StateCache
from hall.settings import ConfigError
from hall.singleton import AlreadyRunning, hold_lock

log = logging.getLogger(__name__)

PLAUSIBLE = 1_735_660_800  # 2025-01-01: a clock before this is not set
Memory = SqlitePadMemory | InMemoryPadMemory
PortOpener = Callable[[PadBus], SerialPort]


def check(cfg: PadsConfig) -> None:
    """What the [pads] schema cannot see: the counters named exist in [[counters]]."""
    known = {c.id for c in cfg.counters}
    where: list[tuple[str, str]] = [
        (f"pads.buses[{b.name}].devices[address={d.address}]", d.counter)
        for b in cfg.pads.buses
        for d in b.devices
    ]
    where += [(f"pads.keypads[{k.name}]", k.counter) for k in cfg.pads.keypads]
    for loc, counter in where:
        if counter not in known:
            raise ConfigError(
                f"{cfg.source}: key '{loc}.counter': counter {counter!r} is not one of the "
                f"[[counters]] ({', '.join(sorted(known))})"
            )
    for k in cfg.pads.keypads:
        try:
            from counter_pad.usb_keypad import typed_names

            typed_names(k.keymap)
        except KeymapError as exc:
            raise ConfigError(f"{cfg.source}: key 'pads.keypads[{k.name}].keymap': {exc}") from None


def day_epoch(cfg: PadsConfig, cache: StateCache | None) -> Callable[[], int]:
    """The hall day (YYYYMMDD) by this box's clock, else by the hub's board (followed only
    when the clock was not set at start: :func:`state_topics`), else 0."""

    def epoch() -> int:
        now = time.time()
        if now >= PLAUSIBLE:
            return int(datetime.fromtimestamp(now, cfg.tz).strftime("%Y%m%d"))
        board = cache.board if cache is not None else None
        day = board.get("day") if board else None
        return int(str(day).replace("-", "")) if day else 0

    return epoch


def state_topics(counters: Iterable[str], clock_set: bool | None = None) -> list[str]:
    """What the pads follow of the hub's retained state: their own counters and the
    catalog (ticket prefixes); the board (republished at every call, the largest state)
    only when this box's clock is not set, for :func:`day_epoch`."""
    if clock_set is None:
        clock_set = time.time() >= PLAUSIBLE
    topics = [p.CATALOG, *(p.counter_topic(c) for c in sorted(set(counters)))]
    return topics if clock_set else [*topics, p.BOARD]


def serial_opener(bus: PadBus) -> SerialPort:
    return SerialPort(bus.port, bus.baud)


@dataclass
class Pads:
    """Everything `hall pads` runs; `start()` then `stop()`."""

    service: PadService
    memory: Memory
    masters: dict[str, BusMaster] = field(default_factory=dict)
    legacy: dict[str, LegacyLink] = field(default_factory=dict)
    keypads: dict[str, KeypadLink] = field(default_factory=dict)
    openers: dict[str, Callable[[], SerialPort]] = field(default_factory=dict)
    retry_s: float = 1.0
    health_s: float = INTERVAL_S
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _health: LineHealthWriter | None = None

    def alive(self) -> bool:
        """For the systemd watchdog: every line's and keypad's thread is still running."""
        return all(t.is_alive() for t in self._threads)

    def start(self) -> Pads:
        self.service.start()
        lines: dict[str, BusMaster | LegacyLink] = {**self.masters, **self.legacy}
        for name, link in lines.items():
            t = threading.Thread(
                target=keep_open,
                args=(name, self.openers[name], link, self._stop, self.retry_s),
                name=f"pads-{name}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)
        for kp in self.keypads.values():
            kp.start()
        pads_id = self.service.settings.pads_id

        def report(line: str, ok: bool, state: str, detail: str) -> None:
            self.service.report(f"{pads_id}/{line}", "pad", ok, state, detail)

        self._health = LineHealthWriter(lines, self.memory.durable, report, interval=self.health_s)
        self._health.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        for kp in self.keypads.values():
            kp.stop()
        if self._health is not None:
            self._health.stop()
        self.service.stop()


def devices_of(pc: PadsSection) -> list[Device]:
    """Every configured device: each line's, and each keypad as a call-pad."""
    return [Device(b.name, d.address, d.counter, d.kind) for b in pc.buses for d in b.devices] + [
        Device(k.name, ADDRESS, k.counter, "call_pad") for k in pc.keypads
    ]


def make_line(
    b: PadBus, memory: Memory, service: PadService, epoch: Callable[[], int]
) -> BusMaster | LegacyLink:
    """The link for one configured line: a v1 master or a legacy link (not started)."""
    status = functools.partial(service.on_status, b.name)
    if b.profile == "v1":
        return BusMaster(
            UNPLUGGED,
            MasterSettings.of(b),
            memory,
            service.on_key,
            status,
            auto_confirm=False,
            epoch=epoch,
        )
    return LegacyLink(
        None, LegacySettings.of(b), memory, service.on_key, status, auto_confirm=False, epoch=epoch
    )


def build(
    cfg: PadsConfig,
    bus: Bus,
    memory: Memory,
    *,
    port_opener: PortOpener = serial_opener,
    keypad_opener: Callable[[str], Callable[[], Any]] | None = None,
    client_timeout: float | None = None,
    health_s: float = INTERVAL_S,
) -> Pads:
    """Wire the configured lines and keypads to the hub over ``bus`` (not started);
    ``health_s``: how often each line's health is written and noisy lines reported."""
    check(cfg)
    pc = cfg.pads
    client = HallClient(bus, timeout=client_timeout or cfg.bus.request_timeout_s)
    devices = devices_of(pc)
    cache = StateCache(bus, topics=state_topics(d.counter for d in devices))
    epoch = day_epoch(cfg, cache)
    outputs: dict[str, Output] = {}
    service = PadService(
        client,
        cache,
        devices,
        outputs,
        counters=[c.id for c in cfg.counters],
        settings=ServiceSettings.of(pc, cfg.queue.number_width),
        durable=memory.durable,
        generation=memory.generation,
    )
    pads = Pads(service, memory, health_s=health_s)
    for b in pc.buses:
        pads.openers[b.name] = functools.partial(port_opener, b)
        link = make_line(b, memory, service, epoch)
        if isinstance(link, BusMaster):
            pads.masters[b.name], outputs[b.name] = link, V1Output(link)
        else:
            pads.legacy[b.name], outputs[b.name] = link, LegacyOutput(link)
    for k in pc.keypads:
        opener = keypad_opener(k.name) if keypad_opener else None
        kp = KeypadLink(
            k,
            memory,
            service.on_key,
            functools.partial(service.on_status, k.name),
            opener=opener,
            epoch=epoch,
            auto_confirm=False,
        )
        pads.keypads[k.name], outputs[k.name] = kp, KeypadOutput(memory)
    return pads


def state_path(cfg: PadsConfig) -> Path:
    return cfg.base / cfg.pads.state_file


def lock_state(path: Path) -> IO[str]:
    return hold_lock(path, "`hall pads`")


def run_pads(
    cfg: PadsConfig,
    *,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> int:
    """Run until `stop` is set or SIGTERM/SIGINT arrives; return an exit status."""
    from hall.bus.mqtt import hall_bus
    from hall.hubapi.client import presence

    check(cfg)
    if not cfg.pads.buses and not cfg.pads.keypads:
        raise ConfigError(f"{cfg.source}: [pads] has no buses and no keypads: nothing to run")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("pads: signal %d, stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    path = state_path(cfg)
    lock = lock_state(path)
    client_id = cfg.pads.id
    birth, will = presence(client_id, "pads", version=__version__, host=socket.gethostname())
    memory = SqlitePadMemory(path)
    try:
        bus = hall_bus(cfg, client_id, birth=birth, will=will)
        if not bus.wait_connected(10):
            log.warning(
                "pads: the hall bus at %s:%d does not answer yet; retrying",
                cfg.bus.host,
                cfg.bus.port,
            )
        pads = build(cfg, bus, memory).start()
        log.info(
            "pads %s: %d line(s), %d keypad(s), memory %s",
            client_id,
            len(cfg.pads.buses),
            len(cfg.pads.keypads),
            path,
        )
        if ready is not None:
            ready.set()
        heap.settle()
        notify.ready(f"pads {client_id}: {len(cfg.pads.buses)} line(s)")
        with notify.Watchdog(pads.alive):
            stop.wait()
        notify.stopping("pads: stopping")
        pads.stop()
        try:
            bus.publish(birth.topic, {**birth.payload, "status": "down"}, retain=True)
        except Exception as exc:
            log.info("pads: presence 'down' not sent: %s", exc)
        bus.close()
    finally:
        memory.close()
        lock.close()
    return 0


__all__ = ["AlreadyRunning", "Pads", "PortGone", "build", "check", "run_pads"]
