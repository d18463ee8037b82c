"""What only the MQTT side has: the one MQTT client module, TCP_NODELAY, the private Mosquitto."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hall.bus.broker import MosquittoBroker
from hall.bus.mqtt import MqttBus
from tests.bus.bus_helpers import ROOT, wait_until

pytestmark = pytest.mark.timeout(20)


def test_the_bus_leaves_paho_to_the_one_mqtt_module() -> None:
    code = (
        "import sys, hall.bus, hall.bus.inproc, hall.bus.broker\n"
        "assert not [m for m in sys.modules if m.startswith('paho')], 'paho imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    for path in (ROOT / "hall/bus").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import paho" not in text and "from paho" not in text, path


def test_nodelay_is_on_for_broker_and_client_sockets(tmp_path: Path) -> None:
    with MosquittoBroker(tmp_path) as broker:
        assert "set_tcp_nodelay true" in broker.conf_path.read_text()
        bus = MqttBus("probe", port=broker.port)
        try:
            assert bus.wait_connected(5)
            sock = bus._mqtt.socket()
            assert isinstance(sock, socket.socket)
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            bus.close()


def test_a_client_started_before_the_broker_connects_when_it_comes(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path)
    bus = MqttBus("early", port=broker.port, reconnect_delay=(1, 1))
    try:
        assert not bus.wait_connected(0.2)
        broker.start()
        assert bus.wait_connected(5)
    finally:
        bus.close()
        broker.close()


def test_broker_kill_and_restart_keep_the_port(tmp_path: Path) -> None:
    with MosquittoBroker(tmp_path) as broker:
        port = broker.port
        bus = MqttBus("survivor", port=port, reconnect_delay=(1, 1))
        try:
            assert bus.wait_connected(5)
            broker.kill()
            wait_until(lambda: not bus.is_connected)
            broker.start()
            assert broker.port == port and broker.is_running
            assert bus.wait_connected(5)
        finally:
            bus.close()
    assert (tmp_path / "mosquitto.log").exists()
