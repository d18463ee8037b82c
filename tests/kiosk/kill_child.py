"""Child for the kill test: a kiosk's ticketing that issues one ticket and is then killed.

python -m tests.kiosk.kill_child JOURNAL MQTT_PORT PRINTER_PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

from drivers.printer import Deadlines, PrinterConfig, create_printer
from hall.bus.mqtt import MqttBus
from hall.hubapi.client import HallClient, presence
from kiosk.journal import Journal
from kiosk.ticketing import Ticketing
from tests.kiosk.conftest import options


def main(journal: str, mqtt_port: int, printer_port: int) -> None:
    birth, will = presence("kiosk-1", "kiosk")
    bus = MqttBus("kiosk-1", port=mqtt_port, birth=birth, will=will)
    if not bus.wait_connected(10):
        raise SystemExit("no broker")
    slow = Deadlines(connect=2.0, write=60.0, status=60.0)  # the parent kills us first
    printer = create_printer(PrinterConfig(kind="network", port=printer_port, deadlines=slow))
    ops = Ticketing(HallClient(bus, timeout=5.0), printer, Journal(Path(journal)), options())
    print("issuing", flush=True)
    print(ops.issue("SB-001"), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
