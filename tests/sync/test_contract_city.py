"""The hall against a city written here from the contract's text alone (v1.1, "Events"), not
the product's peer: it stores in order only, acks a batch it already has again, answers a
batch that starts past `acked_through + 1` with its current `acked_through`, and checks the
`h` chain. Some batches never reach it (lost on the way): the hall must resend on the city's
answer, not after a timeout."""

from __future__ import annotations

import json
import threading
from typing import Any

from appliance.local import LocalHall
from hall.core import chain
from hall.mqtt import MqttClient
from hall.mqttvalues import ConnectOptions, Received, TlsFiles
from sync.city_peer.broker import CityBroker
from sync.city_peer.pki import PLATFORM_CN, Pki
from tests.sync.citykit import fill, start_sync, wait_until, write_sync_config

HALLS = "cityq/v1/halls/"


class ContractCity:
    def __init__(self, broker: CityBroker, pki: Pki, *, lose: set[int]) -> None:
        ident = pki.client(PLATFORM_CN)
        self.stored: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.batches = 0
        self.lose = lose  # the indexes of batches that are lost before they reach the city
        self._lock = threading.Lock()
        self.client = MqttClient(
            ConnectOptions(
                "localhost",
                broker.port,
                "contract-city",
                tls=TlsFiles(str(pki.ca), str(ident.cert), str(ident.key)),
            ),
            self._on_message,
        )
        self.client.subscribe(HALLS + "+/up/events", qos=1)
        self.client.start()
        wait_until(lambda: self.client.connected)
        self.client.publish("cityq/v1/cloud/status", b'{"v":1,"online":true}', retain=True)

    @property
    def acked_through(self) -> int:
        return len(self.stored)

    def _on_message(self, msg: Received) -> None:
        batch = json.loads(msg.payload)
        with self._lock:
            index, self.batches = self.batches, self.batches + 1
            if index in self.lose:
                return
            if batch["first_seq"] <= self.acked_through + 1:
                for e in batch["events"]:
                    if e["seq"] == self.acked_through + 1:
                        self.stored.append(e)
            self.answers.append(self.acked_through)
            ack = json.dumps({"v": 1, "acked_through": self.acked_through}).encode()
        self.client.publish(f"{HALLS}{batch['hall_id']}/down/events-ack", ack)

    def close(self) -> None:
        self.client.stop()


def test_the_hall_against_a_city_written_from_the_contract(
    hall: LocalHall, city_broker: CityBroker, pki: Pki
) -> None:
    top = fill(hall, 1800)  # a backlog of four batches
    city = ContractCity(city_broker, pki, lose={1, 6})
    cfg = write_sync_config(hall, city_broker, pki, ack_timeout_s=600, batch_max_events=500)
    sync = start_sync(hall, cfg)
    _, kiosk = hall.connect("kiosk-cc", "kiosk")
    try:
        for _ in range(20):  # live events during the replay and after it
            kiosk.execute("issue", {"service": "SB-001"})
        top = len(hall.events())
        wait_until(lambda: city.acked_through == top, 20)
        wait_until(lambda: sync.state.acked == top)
        snap = sync.sender.snapshot()
        assert snap["timeouts"] == 0 and snap["go_back"] >= 1, snap
    finally:
        sync.stop()
        city.close()
    mine = hall.events()
    assert city.stored == mine  # every event once, in order, exactly as logged (h included)
    assert list(chain.verify(city.stored)) == []  # and the city finds the chain whole
    assert city.stored[0]["h"] == chain.link(chain.GENESIS, city.stored[0])
    assert len(set(city.answers)) < len(city.answers)  # some batches came past a gap
    assert all(e["seq"] == i for i, e in enumerate(city.stored, 1))
