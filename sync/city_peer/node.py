"""The city peer as a running client of the city broker: `CityCore` + `CityStore` + `CityLink`.

Messages are handled on a worker thread of their own, in arrival order: the link's network
thread only hands them over, so it is free to write each events-ack the moment it is
published (handled on the network thread, a burst of batches read at once was answered only
after the last of them, and a hall with a few batches out waited for the burst). The broker
is acknowledged on receipt: a batch lost in a crash of the peer is sent again by the hall,
which never counts a PUBACK.

peer = CityPeer(db, host="127.0.0.1", port=broker.port, tls=...).start()
peer.wait_connected(5)
peer.core.publish_directory(directory); peer.core.set_cloud_online(True)
change = peer.core.book("410411-ZH01", "SB-001", "2026-11-27", "09:00", "09:30")
"""

from __future__ import annotations

import logging
import queue
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
    ) -> None:
        self.store = CityStore(db)
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
                will=Will(wire.CLOUD_STATUS, wire.encode({"v": 1, "online": False})),
                probe_topic="cityq/v1/peer/probe",
                max_inflight=100,
            ),
            subscriptions=(wire.HALLS + "+/up/#",),
        )

    def start(self) -> CityPeer:
        self._worker.start()
        self.link.start(self._receive, on_up=self._on_up, on_down=self._up.clear)
        return self

    def _receive(self, topic: str, data: bytes, retained: bool) -> None:
        self._inbox.put((topic, data, retained))

    def _work(self) -> None:
        while (item := self._inbox.get()) is not None:
            try:
                handle = self.phones.handle if self.phones.owns(item[0]) else self.core.handle
                handle(*item)
            except Exception:  # the city goes on with the next message
                log.exception("city peer: a message could not be handled")

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
