"""The `hall` command as a technician runs it: real processes, a real Mosquitto, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from hall.bus.mqtt import MqttBus
from hall.hubapi import protocol as p
from hall.store.read import EventRow, HallReader
from tests.conftest import ROOT

EXAMPLE = ROOT / "config/examples/county-hall.toml"


def hall(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k not in ("HALL_CONFIG", "NOTIFY_SOCKET")},
    )


def set_bus(config: Path, port: int, *, timeout_s: float | None = None) -> None:
    """Point a config file's [bus] at `port` (and set its request timeout)."""
    text = config.read_text(encoding="utf-8")
    assert "port = 1883" in text
    bus = f"port = {port}"
    if timeout_s is not None:
        bus += f"\nrequest_timeout_s = {timeout_s}"
    config.write_text(text.replace("port = 1883", bus, 1), encoding="utf-8")


def events(db: Path) -> list[EventRow]:
    with HallReader.open(db) as reader:
        return list(reader.iter_events())


def wait_hub_status(port: int, want: str, timeout: float = 30) -> None:
    """Wait until the hub's retained presence says `want` ("up", "down")."""
    seen = threading.Event()
    bus = MqttBus(f"test-watch-{os.getpid()}", port=port)
    try:
        assert bus.wait_connected(10)
        bus.subscribe(
            p.presence_topic("hub"),
            lambda m: seen.set() if m.payload.get("status") == want else None,
        )
        assert seen.wait(timeout), f"the hub's presence never said {want!r}"
    finally:
        bus.close()


class HubProcess:
    """`hall hub --config FILE` as its own process (what systemd runs)."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log = config.parent / "hub.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> HubProcess:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "hub", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return self

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(20)

    def kill_if_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def one_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def as_json(out: str) -> Any:
    return json.loads(out)
