"""A running kiosk: the bus, the hub's state, the devices, the model and the window, wired.

``start_kiosk(cfg, bus)`` needs a ``QApplication``; it returns a ``Kiosk`` whose ``close``
stops everything it started. The bus, the inputs and the worker thread call into Qt only
through the ``Bridge``'s signals, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from drivers.input import InputSource, InputState, Key, Rejected, Scan, make_input
from drivers.printer import (
    Printer,
    SimulatedPrinter,
    create_printer,
    get_profile,
    printer_config,
)
from hall.bus.interface import Bus, Message
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, StateCache
from kiosk import navigation, runtime, search
from kiosk.checkin import Keys
from kiosk.guide import Guide
from kiosk.journal import Journal
from kiosk.model import KioskModel
from kiosk.settings import KioskConfig
from kiosk.ticketing import Ticketing
from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)


class Bridge(QObject):
    """Signals that carry work from other threads onto the GUI thread."""

    state = Signal(str, object)
    link = Signal(bool)
    input = Signal(str, object)
    input_state = Signal(str, str, str, str)
    fault = Signal(str, str)
    done = Signal(object)  # a _Delivery: never pass None through a Qt signal (PySide6 on
    failed = Signal(object)  # Python 3.11 loses a reference to None each time: crash at exit)


@dataclass(frozen=True)
class _Delivery:
    done: Callable[[Any], None]
    result: Any


class QtRunner:
    """Runs blocking work on one worker thread, one job after another (the printer and the
    journal take one ticket at a time); the result comes back on the GUI thread."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-io")
        self.closed = False

    def __call__(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if self.closed:
            log.debug("kiosk closing: operation not started")
            return
        self._pool.submit(self._job, fn, done)

    def _job(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        try:
            result = fn()
        except Exception as exc:
            log.exception("kiosk operation failed")
            self._bridge.failed.emit(exc)
            return
        self._bridge.done.emit(_Delivery(done, result))

    def shutdown(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Kiosk:
    cfg: KioskConfig
    bus: Bus
    model: KioskModel
    window: KioskWindow
    ticketing: Ticketing
    printer: Printer
    simulator: SimulatedPrinter | None
    state: StateCache
    bridge: Bridge
    dispatcher: Dispatcher
    runner: QtRunner
    guide: Guide | None
    inputs: list[InputSource] = field(default_factory=list)

    def close(self) -> None:
        self.window.timer.stop()
        for source in self.inputs:
            source.stop()
        if self.guide is not None:
            self.guide.stop()
        self.state.close()
        self.runner.shutdown()
        self.printer.close()
        self.window.close()


def start_kiosk(
    cfg: KioskConfig,
    bus: Bus,
    *,
    clock: Callable[[], float] = time.time,
    printer_kind: str | None = None,
    simulator: SimulatedPrinter | None = None,
    keys: Keys | None = None,
    guide: Guide | str | None = "config",
    openers: dict[str, Callable[[], Any]] | None = None,
    hours_check: bool = True,
    state_dir: Path | None = None,
    tick_ms: int = 1000,
) -> Kiosk:
    """Build and show the kiosk for ``cfg`` on ``bus`` (connected or connecting)."""
    bridge = Bridge()
    runner = QtRunner(bridge)
    pconf = printer_config(cfg.kiosk.printer, printer_kind)
    if pconf.kind == "simulator" and simulator is None:
        folder = cfg.kiosk.printer.sim_folder
        archive = runtime.resolve(cfg, folder) if folder else None
        simulator = SimulatedPrinter(get_profile(pconf.profile), archive=archive)
    printer = create_printer(pconf, simulator)
    journal_dir = state_dir or runtime.resolve(cfg, cfg.kiosk.state_dir)
    journal = Journal(journal_dir / f"{cfg.kiosk.id}-journal.json")
    client = HallClient(bus, timeout=cfg.bus.request_timeout_s)
    ticketing = Ticketing(client, printer, journal, runtime.ticketing_options(cfg), clock=clock)
    if guide == "config":
        guide = runtime.make_guide(cfg, lambda kind, msg: bridge.fault.emit(kind, msg))
    if isinstance(guide, Guide):
        guide.start()
    model = KioskModel(
        runtime.model_options(cfg, hours_check=hours_check, printer=printer.transport.describe),
        ticketing,
        runner,
        clock,
        keys if keys is not None else runtime.load_keys(cfg),
        guide if isinstance(guide, Guide) else None,
    )
    ticketing.hall_name_source = lambda: model.hall.hall_name or cfg.hall.name  # the hub's wins
    dispatcher = Dispatcher(bridge, model)
    window = KioskWindow(model, tick_ms=tick_ms)
    state = StateCache(bus, on_change=lambda topic, payload: bridge.state.emit(topic, payload))
    state.on_link(bridge.link.emit)
    bus.subscribe(navigation.TOPIC, lambda msg: _nearby(bridge, msg))
    bridge.link.emit(bus.is_connected)
    inputs = _start_inputs(cfg, bridge, openers or {})
    return Kiosk(
        cfg,
        bus,
        model,
        window,
        ticketing,
        printer,
        simulator,
        state,
        bridge,
        dispatcher,
        runner,
        guide if isinstance(guide, Guide) else None,
        inputs,
    )


def _warm_up(model: KioskModel) -> None:
    entries = list(model.hall.entries)
    threading.Thread(
        target=search.warm_up, args=(entries,), name="pinyin-warm-up", daemon=True
    ).start()


def _nearby(bridge: Bridge, msg: Message) -> None:
    bridge.state.emit(msg.topic, msg.payload)


class Dispatcher(QObject):
    """Lives on the GUI thread; the bridge's signals reach the model through its slots
    (queued connections: whatever thread emits, the model runs on the GUI thread)."""

    def __init__(self, bridge: Bridge, model: KioskModel) -> None:
        super().__init__()
        self.m = model
        q = Qt.ConnectionType.QueuedConnection
        bridge.state.connect(self.on_state, q)
        bridge.link.connect(self.on_link, q)
        bridge.input.connect(self.on_input, q)
        bridge.input_state.connect(self.on_input_state, q)
        bridge.fault.connect(self.on_fault, q)
        bridge.done.connect(self.on_done, q)
        bridge.failed.connect(self.on_failed, q)

    @Slot(str, object)
    def on_state(self, topic: str, payload: Any) -> None:
        if topic == p.BOARD:
            self.m.hall.set_board(payload)
        elif topic == p.CATALOG:
            self.m.hall.set_catalog(payload)
            _warm_up(self.m)  # the names' pinyin for search, off the GUI thread
        elif topic == navigation.TOPIC:
            self.m.hall.set_nearby(payload)

    @Slot(bool)
    def on_link(self, up: bool) -> None:
        self.m.hall.set_link(up)

    @Slot(str, object)
    def on_input(self, name: str, result: Any) -> None:
        if isinstance(result, Scan):
            self.m.scanned(result.text)
        elif isinstance(result, Key):
            self.m.keypad(result.name)
        elif isinstance(result, Rejected):
            self.m.scan_rejected(result.reason)

    @Slot(str, str, str, str)
    def on_input_state(self, name: str, kind: str, state: str, detail: str) -> None:
        self.m.tech.set_input_state(name, kind, state, detail)

    @Slot(str, str)
    def on_fault(self, kind: str, message: str) -> None:
        self.m.tech.device_fault(kind, message)

    @Slot(object)
    def on_done(self, delivery: _Delivery) -> None:
        delivery.done(delivery.result)

    @Slot(object)
    def on_failed(self, exc: BaseException) -> None:
        self.m.op_failed(exc)


def _start_inputs(
    cfg: KioskConfig, bridge: Bridge, openers: dict[str, Callable[[], Any]]
) -> list[InputSource]:
    sources = []
    for conf in runtime.input_configs(cfg.kiosk):
        kind = "keypad" if conf.role == "keypad" else "scanner"

        def on_state(name: str, state: InputState, detail: str, kind: str = kind) -> None:
            bridge.input_state.emit(name, kind, state.value, detail)

        source = make_input(conf, bridge.input.emit, on_state, opener=openers.get(conf.name))
        sources.append(source.start())
    return sources
