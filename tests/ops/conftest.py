"""A simulated hall for the doctor: a real Mosquitto and hub, a printer simulator on TCP,
pads on a pty, a scanner stand-in, speech written to files."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ops.pki import HALL_ID, HALL_NAME, ROOT


@dataclass
class SimHall:
    folder: Path
    config: Path
    broker: Any
    printer: Any
    pads: Any
    pads_port: str
    printer_port: int

    def set_config(self, old: str, new: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        assert old in text, old
        self.config.write_text(text.replace(old, new, 1), encoding="utf-8")


def write_config(
    etc: Path,
    *,
    bus_port: int,
    printer_port: int,
    scanner: Path,
    pads_port: str,
    roles: list[str],
    state: Path,
) -> Path:
    etc.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "appliance/sim/data/catalog.json", etc / "catalog.json")
    config = etc / "hall.toml"
    config.write_text(
        f"""
[hall]
id = "{HALL_ID}"
name = "{HALL_NAME}"
database = "{state / "hall.db"}"

[bus]
port = {bus_port}

[kiosk]
state_dir = "{state / "kiosk"}"

[kiosk.printer]
kind = "network"
host = "127.0.0.1"
port = {printer_port}
connect_s = 1.0
status_s = 0.5

[[kiosk.inputs]]
name = "scanner-1"
path = "{scanner}"

[display.speech]
player = "file"
output_dir = "announcements"

[pads]
state_file = "{state / "pads.db"}"

[[pads.buses]]
name = "bus1"
port = "{pads_port}"
reply_timeout_ms = 20
devices = [{{ address = 1, counter = "1" }}, {{ address = 2, counter = "1", kind = "evaluator" }}]

[sync]
state_file = "{state / "sync.db"}"

[[counters]]
id = "1"
services = ["SB-001", "SB-002"]
""",
        encoding="utf-8",
    )
    marker = {"hall_id": HALL_ID, "roles": roles}
    (etc / "provisioned.json").write_text(json.dumps(marker), encoding="utf-8")
    return config


@pytest.fixture
def sim_hall(tmp_path: Path) -> Iterator[SimHall]:
    from appliance import config as hall_config
    from appliance.devices import hub_trust, local_devices
    from appliance.ops.hallbroker import HallMosquitto
    from counter_pad import frames_v1 as v1
    from counter_pad.simulator import PadSimulator, open_pty
    from drivers.printer import SimulatedPrinter, SimulatorServer
    from hall.devices import Device
    from hub.runner import run_hub

    scanner = tmp_path / "dev/input-scanner"
    scanner.parent.mkdir()
    scanner.touch()
    link, pads_port = open_pty()
    pads = PadSimulator(
        link, {1: v1.DeviceType.CALL_PAD, 2: v1.DeviceType.EVALUATOR}, baud=None
    ).start()
    printer = SimulatedPrinter()
    broker_dir = tmp_path / "mq"
    with (
        HallMosquitto(broker_dir, hall_id=HALL_ID) as broker,
        SimulatorServer(printer, port=0) as server,
    ):
        config = write_config(
            tmp_path / "etc",
            bus_port=broker.port,
            printer_port=server.port,
            scanner=scanner,
            pads_port=pads_port,
            roles=["hub", "kiosk", "display", "pads", "sync"],
            state=tmp_path / "state",
        )
        cfg = hall_config.load(config)
        # the hub box as `hall device setup` leaves it: every role with its own password
        broker.enroll_all([Device("hub", "hub"), *local_devices(cfg)])
        broker.write_keys(cfg.base / cfg.bus.credentials)
        stop, ready = threading.Event(), threading.Event()
        hub = threading.Thread(
            target=run_hub,
            args=(cfg,),
            kwargs={"stop": stop, "ready": ready, "trust": hub_trust(cfg)},
        )
        hub.start()
        try:
            assert ready.wait(20)
            yield SimHall(tmp_path, config, broker, printer, pads, pads_port, server.port)
        finally:
            stop.set()
            hub.join(20)
            pads.stop()
