"""An intruder's MQTT client: the appliance's one MQTT module, without the hall bus's
manners (any topic, any payload, raw bytes), as an attacker with paho would be."""

from __future__ import annotations

import threading
from typing import Any

from hall.bus.login import BusLogin
from hall.mqtt import MqttClient
from hall.mqttvalues import Ack, ConnectOptions, Received, Reconnect
from tests.security.site import eventually


def options(login: BusLogin | None, client_id: str, **kw: Any) -> ConnectOptions:
    return ConnectOptions(
        host=login.host if login else "127.0.0.1",
        port=login.port if login else 1883,
        client_id=client_id,
        username=login.username if login else None,
        password=login.password if login else None,
        tls=login.tls if login else None,
        reconnect=Reconnect(0.2, 1.0),
        **kw,
    )


class Raw:
    def __init__(self, login: BusLogin, client_id: str, **kw: Any) -> None:
        self.got: list[Received] = []
        self.arrived = threading.Condition()
        self.ups = 0
        self.downs = 0
        self.client = MqttClient(
            options(login, client_id, **kw),
            self._on_message,
            on_up=self._up,
            on_down=self._down,
        )
        self.client.start()

    def _up(self, _session: bool) -> None:
        self.ups += 1

    def _down(self) -> None:
        self.downs += 1

    def _on_message(self, msg: Received) -> None:
        with self.arrived:
            self.got.append(msg)
            self.arrived.notify_all()

    def wait_up(self) -> Raw:
        eventually(lambda: self.client.connected)
        return self

    def publish(self, topic: str, data: bytes, **kw: Any) -> Ack:
        ack = self.client.publish(topic, data, **kw)
        assert ack.wait(5), f"no answer from the broker to a publish on {topic}"
        return ack

    def subscribe(self, pattern: str) -> Ack:
        ack = self.client.subscribe(pattern, qos=1)
        assert ack is not None and ack.wait(5)
        return ack

    def on(self, topic: str) -> list[Received]:
        with self.arrived:
            return [m for m in self.got if m.topic == topic]

    def close(self) -> None:
        self.client.stop(unsubscribe=True)
