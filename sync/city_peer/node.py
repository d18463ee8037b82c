"""The city peer as a running client of the city broker: `CityCore` + `CityStore` + `CityLink`.

peer = CityPeer(db, host="127.0.0.1", port=broker.port, tls=...).start()
peer.wait_connected(5)
peer.core.publish_directory(directory); peer.core.set_cloud_online(True)
change = peer.core.book("410411-ZH01", "SB-001", "2026-11-27", "09:00", "09:30")
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from hall.mqttvalues import Reconnect, TlsFiles, Will
from sync import wire
from sync.city_peer.core import CityCore
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
        self._up = threading.Event()
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
        self.link.start(self.core.handle, on_up=self._on_up, on_down=self._up.clear)
        return self

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._up.wait(timeout)

    def stop(self) -> None:
        self.link.stop()
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
