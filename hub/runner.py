"""`hall hub`: the hub as a long-lived service on the hall's Mosquitto.

One hub per database: an exclusive lock on `<database>.lock` refuses a second one. SIGTERM
and SIGINT stop it cleanly (presence "down", no will); SIGKILL leaves the will ("lost") and
a database that the next start continues from (every command is one transaction).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from pathlib import Path
from types import FrameType
from typing import IO

from hall import __version__, heap
from hall import sdnotify as notify
from hall.devices import HubTrust
from hall.hubapi import protocol as p
from hall.hubapi.client import presence
from hall.singleton import hold_lock
from hall.store.integrity import Finding, startup_check
from hall.store.store import HallStore
from hall.system import SystemClock
from hub.service import Hub
from hub.settings import HubConfig

log = logging.getLogger(__name__)


class UntrustedDatabase(Exception):
    """The start-up check found what the hub must not serve (hall/store/integrity.py)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].message)
        self.findings = findings


def lock_database(path: Path) -> IO[str]:
    return hold_lock(path, "hub")


def run_hub(
    cfg: HubConfig,
    *,
    trust: HubTrust,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
    client_id: str = "hub",
) -> int:
    """Run until `stop` is set or SIGTERM/SIGINT arrives; return an exit status."""
    from hall.bus.mqtt import hall_bus

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("hub: signal %d, stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    cfg.database_path.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_database(cfg.database_path)
    info = {"version": __version__, "host": socket.gethostname()}
    birth, will = presence(client_id, "hub", **info)
    try:
        findings = startup_check(cfg.database_path)
        if findings:
            for f in findings:
                log.error("hub: %s", f.message)
            notify.status(f"hub: refusing the database: {findings[0].message}"[:200])
            raise UntrustedDatabase(findings)
        store = HallStore(
            cfg.database_path,
            hall_id=cfg.hall.id,
            tz=cfg.tz,
            rules=cfg.rules(),
            clock=SystemClock(),
        )
        try:
            _catalog, raw = cfg.load_catalog()
            # Counters come from the config; the catalog file applies only when its version
            # is higher than the one held (the city's newer versions win).
            store.setup(raw, cfg.counters_wire())
            store.keep_head()
            bus = hall_bus(cfg, client_id, birth=birth, will=will)
            hub = Hub(
                bus,
                store,
                hall_name=cfg.hall.name,
                notice=cfg.hub.notice,
                masked_names=cfg.hub.masked_names,
                devices=trust.devices,
                city_key=trust.city_key,
            )
            hub.start()
            if not bus.wait_connected(10):
                log.warning(
                    "hub: the hall's Mosquitto at %s:%d does not answer yet; retrying",
                    cfg.bus.host,
                    cfg.bus.port,
                )
            log.info(
                "hub for %s (%s) running, database %s",
                cfg.hall.name,
                cfg.hall.id,
                cfg.database_path,
            )
            if ready is not None:
                ready.set()
            heap.settle()
            notify.ready(f"hub {cfg.hall.id}: serving on {cfg.bus.host}:{cfg.bus.port}")
            # tick() takes the store lock, so a wedged request handler stops the heartbeat
            # and systemd's watchdog restarts the hub.
            beat = notify.Heartbeat(max_age=max(notify.age_limit(10.0), 2 * cfg.hub.tick_seconds))
            with notify.Watchdog(beat):
                while not stop.wait(cfg.hub.tick_seconds):
                    hub.tick()
                    beat.beat()
            notify.stopping("hub: stopping")
            hub.stop()
            try:
                bus.publish(
                    p.presence_topic(client_id), {**birth.payload, "status": "down"}, retain=True
                )
            except Exception as exc:
                log.info("hub: presence 'down' not sent: %s", exc)
            bus.close()
        finally:
            store.close()
    finally:
        lock.close()
    return 0
