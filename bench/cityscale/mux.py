"""Many city links on one network thread.

`hall sync` runs one `sync.link.CityLink` per hall, each on its own network thread
(`hall.mqttlink.MqttLink._run`: paho's `loop()`, which also makes a socket pair per client
to be woken). 3,000 such threads, plus a sender thread each polling every 50 ms, spend this
2-core machine on waking up. `Mux` drives the very same `CityLink` objects (their paho
client, their `MqttLink` state machine: connack, acks, the silent-broker probe, the
full-jitter `hall.backoff.Backoff` between attempts) from one selector loop with paho's
`loop_read` / `loop_write` / `loop_misc`; the blocking part of an attempt (TCP, TLS
handshake, CONNECT) runs on a small pool of connector threads. Only `MqttLink._run` is
replaced: the bench reaches into the link's private parts for that (a bench, not product
code; see docs/CITY_SCALE.md).
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sync.link import CityLink

log = logging.getLogger(__name__)

TICK_S = 0.02
MISC_EVERY_S = 1.0
POLL_S = 0.25  # a sender with work left is pumped this often (its rate bucket, its timeouts)
PUMP_BUDGET_S = 0.05  # pumping (reading and encoding batches) per turn; the rest waits a turn


class Wake(threading.Event):
    """The sender's `wake`, which also tells the mux that this hall wants a pump."""

    def __init__(self, on_set: Callable[[], None]) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        super().set()
        self._on_set()


class Muxed:
    """One link under the mux, and what its hall does when the mux pumps it."""

    def __init__(
        self, mux: Mux, link: CityLink, pump: Callable[[], Any], due: Callable[[float], bool]
    ) -> None:
        self.mux = mux
        self.link = link
        self.pump = pump
        self.due = due
        self.core = link._client  # the MqttLink (private: see the module's text)
        self.retry_at: float | None = None
        self.busy = False  # a connector thread is on it
        self.sock: Any = None
        make = self.core._make

        def hooked(core: Any) -> Any:
            t = make(core)
            t._client.on_socket_register_write = lambda c, u, s: mux.dirty.add(self)
            return t

        self.core._make = hooked
        self.core._live = (hooked(self.core), self.core._live[1])
        lost = self.core._lost

        def counted(why: str) -> None:
            if self.core.state != self.core.DOWN:
                mux.reasons[re.sub(r"[0-9.]+ s", "N s", why.split(" (")[0].split(": ")[-1])] += 1
            lost(why)

        self.core._lost = counted  # type: ignore[method-assign]

    @property
    def paho(self) -> Any:
        return self.core._conn._client


class Mux:
    def __init__(self, connectors: int = 4, clock: Callable[[], float] = time.monotonic) -> None:
        self.sel = selectors.DefaultSelector()
        self.links: list[Muxed] = []
        self.dirty: set[Muxed] = set()  # wants a write
        self.want_pump: OrderedDict[Muxed, None] = OrderedDict()  # first come, first pumped
        self.pool = ThreadPoolExecutor(connectors, thread_name_prefix="connect")
        self.clock = clock
        self._handed: list[Muxed] = []  # attempts done by a connector, for the loop
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mux", daemon=True)
        self.extra: list[Callable[[float], None]] = []  # called every tick on the loop
        self.paused = False
        self.ticks = 0
        self.reasons: Counter[str] = Counter()  # why links were dropped
        self.lag_max = 0.0
        self.stale_keys = 0  # sockets registered over a closed socket's leftover key
        self.lags: list[float] = []

    def add(
        self,
        link: CityLink,
        pump: Callable[[], Any],
        due: Callable[[float], bool] = lambda now: False,
    ) -> Muxed:
        m = Muxed(self, link, pump, due)
        self.links.append(m)
        return m

    def start(self) -> Mux:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.pool.shutdown(wait=True)
        for m in self.links:
            m.core._conn.close()

    def drop(self, m: Muxed, why: str) -> None:
        """Lose the connection now (a flapping line): on the loop thread only."""
        if m.core.state != m.core.DOWN and not m.busy:
            self._unregister(m)
            m.core._lost(why)

    # --- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        last_misc = last_poll = 0.0
        prev = self.clock()
        while not self._stop.is_set():
            self.ticks += 1
            now = self.clock()
            self.lag_max = max(self.lag_max, now - prev)  # one turn of the loop
            self.lags.append(now - prev)
            prev = now
            self._take_handed()
            self._attempts(now)
            if self.sel.get_map():
                ready = self.sel.select(TICK_S)
            else:
                time.sleep(TICK_S)
                ready = []
            for key, _ in ready:
                self._read(key.data)
            for fn in list(self.extra):  # a callback may remove itself
                fn(now)
            if now - last_poll >= POLL_S:
                last_poll = now
                for m in self.links:
                    if m.core.state == m.core.UP and m.due(now):
                        self.want(m)
            self._pumps()
            self._writes()
            if now - last_misc >= MISC_EVERY_S:
                last_misc = now
                self._misc(now)

    def _take_handed(self) -> None:
        with self._lock:
            handed, self._handed = self._handed, []
        for m in handed:
            m.busy = False
            if m.core.state == m.core.CONNECTING:
                self._register(m)
                self.dirty.add(m)

    def _attempts(self, now: float) -> None:
        for m in self.links:
            core = m.core
            if m.busy or core.state != core.DOWN:
                continue
            if m.retry_at is None:
                m.retry_at = now + (core.backoff.next_delay() if core._attempts else 0.0)
            if now >= m.retry_at:
                m.retry_at = None
                m.busy = True
                self.pool.submit(self._attempt, m)

    def _attempt(self, m: Muxed) -> None:
        try:
            m.core._attempt()  # blocking: TCP, TLS, CONNECT queued
        except Exception:
            log.exception("connect failed")
        with self._lock:
            self._handed.append(m)

    def _register(self, m: Muxed) -> None:
        sock = m.paho.socket()
        if sock is None:
            return
        m.sock = sock
        try:
            self.sel.register(sock, selectors.EVENT_READ, m)
        except KeyError:  # a closed socket's key still holds this descriptor number
            stale = self.sel.get_map().get(sock.fileno())
            if stale is not None:
                self.sel.unregister(stale.fileobj)
                stale.data.sock = None
            self.stale_keys += 1
            self.sel.register(sock, selectors.EVENT_READ, m)

    def _unregister(self, m: Muxed) -> None:
        if m.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(m.sock)
            m.sock = None

    def _read(self, m: Muxed) -> None:
        core = m.core
        try:
            rc = m.paho.loop_read()
            pending = getattr(m.sock, "pending", None)
            while not rc and pending is not None and pending() > 0:  # TLS bytes already read
                rc = m.paho.loop_read()
        except Exception:
            log.exception("read failed")
            rc = 1
        if rc:
            self._unregister(m)
            core._lost(f"connection lost (rc {rc})")
        elif core.state == core.DOWN:  # a callback dropped it (refused, a handler failed)
            self._unregister(m)
        elif m.paho.want_write():
            self.dirty.add(m)

    def _writes(self) -> None:
        dirty, self.dirty = self.dirty, set()
        for m in list(dirty):  # a connector thread may still add to the old set
            if m.busy or m.core.state == m.core.DOWN:
                continue
            try:
                rc = m.paho.loop_write()
            except Exception:
                rc = 1
            if rc:
                self._unregister(m)
                m.core._lost(f"write failed (rc {rc})")
            elif m.paho.want_write():
                self.dirty.add(m)

    def redraw_retries(self) -> None:
        """Every hall that is down draws its next attempt afresh from its backoff (on the
        loop's thread): after an outage of hours the halls wait at their cap, not at the
        short delays of the bench's minute-long outage."""

        def redraw(now: float) -> None:
            for m in self.links:
                m.retry_at = None
            self.extra.remove(redraw)

        self.extra.append(redraw)

    def want(self, m: Muxed) -> None:
        """`m`'s hall wants a pump (any thread: its sender's wake)."""
        self.want_pump[m] = None

    def _pumps(self) -> None:
        """Pump the halls that want it, for at most `PUMP_BUDGET_S`: a turn of the loop stays
        short, so that CONNACKs and acks are read in time however many halls have backlog
        (one process plays 3,000 halls here; a real hall has its own CPU)."""
        if self.paused:
            return
        end = time.monotonic() + PUMP_BUDGET_S
        while self.want_pump and time.monotonic() < end:
            self.want_pump.popitem(last=False)[0].pump()

    def _misc(self, now: float) -> None:
        for m in self.links:
            core = m.core
            if m.busy or core.state == core.DOWN:
                continue
            try:
                rc = m.paho.loop_misc()
            except Exception:
                log.exception("loop_misc failed")
                rc = 1
            if rc:  # paho closed the socket itself (no PINGRESP within its keepalive)
                core._lost(f"paho keepalive (rc {rc})")
            else:
                core._watch(now)
            if core.state == core.DOWN:
                self._unregister(m)
            elif m.paho.want_write():
                self.dirty.add(m)
