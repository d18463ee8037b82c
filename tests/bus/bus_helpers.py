"""Helpers for the hall bus tests: one contract, two implementations.

The `env` fixture (conftest.py) is parametrized over the in-process bus and MQTT against a
private Mosquitto that the test starts itself (persistence on, so retained state survives a
broker restart).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from hall.bus.base import BusBase
from hall.bus.broker import MosquittoBroker
from hall.bus.inproc import InProcBroker, InProcBus
from hall.bus.interface import DEFAULT_MAX_PAYLOAD, LastMessage
from hall.bus.mqtt import MqttBus
from hall.mqtt import MqttClient
from hall.mqttvalues import ConnectOptions

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.1f} s")
        time.sleep(0.005)


def wait_subscribed(client: MqttClient, pattern: str, sub_id: int | None = None) -> None:
    """Wait until the broker has taken `client`'s subscription to `pattern`. `connected` is the
    CONNACK; the SUBSCRIBE sent then may still be on its way. The broker answers a second
    SUBSCRIBE of the same pattern only after the first, so its SUBACK says we are there."""
    ack = client.subscribe(pattern, sub_id=sub_id)
    assert ack is not None, f"{pattern}: not connected"
    assert ack.wait(10) and ack.ok, f"{pattern}: {ack.reason}"


class BusEnv(Protocol):
    name: str

    def make(
        self,
        client_id: str,
        *,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> BusBase: ...

    def inject(self, topic: str, data: bytes) -> None:
        """Publish raw bytes, as a foreign or broken client would."""

    def crash_client_with_will(self, client_id: str, will: LastMessage) -> None:
        """Connect a client with `will`, then kill it without a goodbye."""

    def broker_down(self) -> None: ...

    def broker_up(self) -> None: ...


class InProcEnv:
    name = "inproc"

    def __init__(self) -> None:
        self.broker = InProcBroker()
        self.buses: list[BusBase] = []

    def make(
        self,
        client_id: str,
        *,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> BusBase:
        bus = InProcBus(self.broker, client_id, will=will, birth=birth, max_payload=max_payload)
        self.buses.append(bus)
        return bus

    def inject(self, topic: str, data: bytes) -> None:
        self.broker.publish_raw(topic, data)

    def crash_client_with_will(self, client_id: str, will: LastMessage) -> None:
        self.make(client_id, will=will)
        self.broker.kill_client(client_id)

    def broker_down(self) -> None:
        self.broker.go_down()

    def broker_up(self) -> None:
        self.broker.come_up()

    def close(self) -> None:
        for bus in self.buses:
            bus.close()


_CRASHER = textwrap.dedent(
    """
    import sys, time
    from hall.bus.interface import LastMessage
    from hall.bus.mqtt import MqttBus
    port, client_id, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    bus = MqttBus(client_id, port=port, will=LastMessage(topic, {"status": "offline"}))
    assert bus.wait_connected(5)
    print("ready", flush=True)
    time.sleep(60)
    """
)


class MqttEnv:
    name = "mqtt"

    def __init__(self, directory: Path) -> None:
        self.broker = MosquittoBroker(directory, persistence=True).start()
        self.buses: list[BusBase] = []

    def make(
        self,
        client_id: str,
        *,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> BusBase:
        bus = MqttBus(
            client_id,
            port=self.broker.port,
            will=will,
            birth=birth,
            max_payload=max_payload,
            reconnect_delay=(1, 1),
        )
        self.buses.append(bus)
        assert bus.wait_connected(5), f"{client_id} did not connect"
        return bus

    def inject(self, topic: str, data: bytes) -> None:
        raw = MqttClient(ConnectOptions("127.0.0.1", self.broker.port, "raw"), lambda m: None)
        raw.start()
        try:
            wait_until(lambda: raw.connected)
            assert raw.publish(topic, data, qos=1).wait(3), "no PUBACK"
        finally:
            raw.stop()

    def crash_client_with_will(self, client_id: str, will: LastMessage) -> None:
        assert will.payload == {"status": "offline"}, "the crasher sends this will"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-c", _CRASHER, str(self.broker.port), client_id, will.topic],
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()

    def broker_down(self) -> None:
        self.broker.stop()

    def broker_up(self) -> None:
        self.broker.start()

    def close(self) -> None:
        for bus in self.buses:
            bus.close()
        self.broker.close()
