"""The city peer as a running client of the city broker: `CityCore` + `CityStore` + `CityLink`.

Messages are handled on a worker thread of their own, in arrival order: the link's network
thread only hands them over, so it is free to write each events-ack the moment it is
published (handled on the network thread, a burst of batches read at once was answered only
after the last of them, and a hall with a few batches out waited for the burst). The broker
is acknowledged on receipt: a batch lost in a crash of the peer is sent again by the hall,
which never counts a PUBACK.

Scaling out (`share`): several peers, in separate processes on the same SQLite database,
consume through one MQTT 5 shared subscription (`$share/<group>/cityq/v1/halls/+/up/#`); the
broker hands each message to one of them. One hall's batches may then reach two consumers
at once, out of order: the store serializes them (`CityCore` reads and moves the hall's
`acked_through` inside one write transaction), and a batch that arrives past a gap is
*parked* for up to `park_s` (offered again after every message and every 20 ms) before it
is answered with the current `acked_through`: the batch before it is usually being stored
by another consumer that very moment, and answering at once would send the hall back for
nothing. Only the consumer given `cloud_will` carries the will that says the cloud is
offline: one consumer of several dying must not stop every hall's backlog.

peer = CityPeer(db, host="127.0.0.1", port=broker.port, tls=...).start()
peer.wait_connected(5)
peer.core.publish_directory(directory); peer.core.set_cloud_online(True)
change = peer.core.book("410411-ZH01", "SB-001", "2026-11-27", "09:00", "09:30")

A consumer process: `python -m sync.city_peer.node --db city.db --port 8883 --pki DIR
--share city --client-id cityq-platform-2` (prints `ready` once connected, stops on SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hall.mqttvalues import Reconnect, TlsFiles, Will
from sync import wire
from sync.city_peer.core import CityCore
from sync.city_peer.phones import CityPhones
from sync.city_peer.pki import PLATFORM_CN
from sync.city_peer.store import CityStore
from sync.link import CityLink, city_options

log = logging.getLogger(__name__)


class CityPeer:
    def __init__(
        self,
        db: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        tls: TlsFiles | None = None,
        client_id: str = PLATFORM_CN,
        keepalive: int = 10,
        online: bool = True,
        directory: dict[str, Any] | None = None,
        seed: int | None = None,
        reconnect_max: float = 2.0,
        share: str | None = None,
        cloud_will: bool = True,
        park_s: float = 1.0,
        max_inflight: int = 100,
    ) -> None:
        self.store = CityStore(db)
        self.share = share
        self.park_s = park_s if share else 0.0
        self.parked: list[tuple[float, str, bytes, bool]] = []  # (deadline, topic, data, retained)
        self.handled = 0
        self.online = online
        self.directory = directory
        self.core = CityCore(self.store, self._publish, seed=seed)
        self.phones = CityPhones(self.store, self._publish)  # 云叫号's topics
        self._up = threading.Event()
        self._inbox: queue.SimpleQueue[tuple[str, bytes, bool] | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._work, name="city-peer", daemon=True)
        self.link = CityLink(
            city_options(
                host,
                port,
                client_id,
                tls=tls,
                keepalive=keepalive,
                reconnect=Reconnect(0.2, reconnect_max, stable_after=5.0),
                will=Will(wire.CLOUD_STATUS, wire.encode({"v": 1, "online": False}))
                if cloud_will
                else None,
                probe_topic="cityq/v1/peer/probe",
                max_inflight=max_inflight,
            ),
            subscriptions=(subscription(share),),
        )

    def start(self) -> CityPeer:
        self._worker.start()
        self.link.start(self._receive, on_up=self._on_up, on_down=self._up.clear)
        return self

    def _receive(self, topic: str, data: bytes, retained: bool) -> None:
        self._inbox.put((topic, data, retained))

    def _work(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=0.02) if self.parked else self._inbox.get()
            except queue.Empty:
                self._unpark(time.monotonic())
                continue
            if item is None:
                return
            self._handle(*item, deadline=time.monotonic() + self.park_s)
            if self.parked:
                self._unpark(time.monotonic())

    def _handle(self, topic: str, data: bytes, retained: bool, *, deadline: float) -> None:
        park = deadline > time.monotonic()
        try:
            if self.phones.owns(topic):
                self.phones.handle(topic, data, retained)
                self.handled += 1
            elif self.core.handle(topic, data, retained, park=park):
                self.handled += 1
            else:
                self.parked.append((deadline, topic, data, retained))
        except Exception:  # the city goes on with the next message
            log.exception("city peer: a message could not be handled")

    def _unpark(self, now: float) -> None:
        """Offer the parked batches again, oldest first; past their deadline they are
        answered with the hall's `acked_through` (the hall goes back)."""
        waiting, self.parked = self.parked, []
        for deadline, topic, data, retained in waiting:
            self._handle(topic, data, retained, deadline=deadline if deadline > now else 0.0)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._up.wait(timeout)

    def stop(self) -> None:
        self.link.stop()
        self._inbox.put(None)
        if self._worker.is_alive():
            self._worker.join(timeout=10)
        self.store.close()

    def _on_up(self, session_present: bool) -> None:
        self.core.set_cloud_online(self.online)
        if self.directory is not None:
            self.core.publish_directory(self.directory)
        self._up.set()

    def _publish(self, topic: str, payload: dict[str, Any], retain: bool) -> None:
        data = wire.encode(payload)
        if not self.link.publish(topic, data, qos=1, retain=retain):
            log.info("city peer: not connected, %s not sent", topic)

    def set_online(self, online: bool) -> None:
        self.online = online
        self.core.set_cloud_online(online)

    def wait_acked(self, hall_id: str, seq: int, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.store.hall(hall_id)["acked_through"] >= seq:
                return True
            time.sleep(0.05)
        return False


def subscription(share: str | None) -> str:
    """What the peer subscribes to: every hall's up topics, shared by `share`'s group."""
    topic = wire.HALLS + "+/up/#"
    return f"$share/{share}/{topic}" if share else topic


def main(argv: list[str] | None = None) -> int:
    """One consumer process of the city peer (see the module's text)."""
    p = argparse.ArgumentParser(prog="python -m sync.city_peer.node", description=__doc__)
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pki", type=Path, help="folder with city-ca.pem and the platform's cert")
    p.add_argument("--share", help="shared subscription group (several consumers)")
    p.add_argument("--client-id", default=PLATFORM_CN)
    p.add_argument("--no-will", action="store_true", help="no cloud/status will (not the owner)")
    p.add_argument("--park", type=float, default=1.0, help="hold a batch past a gap this long")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    tls = None
    if a.pki is not None:
        d = a.pki
        cert, key = d / f"{PLATFORM_CN}.crt", d / f"{PLATFORM_CN}.key"
        tls = TlsFiles(str(d / "city-ca.pem"), str(cert), str(key))
    peer = CityPeer(
        a.db,
        host=a.host,
        port=a.port,
        tls=tls,
        client_id=a.client_id,
        share=a.share,
        cloud_will=not a.no_will,
        park_s=a.park,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    peer.start()
    if not peer.wait_connected(30):
        print("could not reach the city broker", file=sys.stderr, flush=True)
        peer.stop()
        return 1
    print("ready", flush=True)
    stop.wait()
    peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
