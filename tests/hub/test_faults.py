"""Faults over a real Mosquitto: the hub SIGKILLed under load, Mosquitto restarted under load.

Roles keep sending commands; a command that gets no answer is retried with the same key
(what every role does while it shows "reconnecting"). At the end, against the hub's own
event log: every confirmed command is there, none acted twice, no number was issued twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.local import sample_config_dir
from hall.bus.broker import MosquittoBroker
from hall.bus.mqtt import MqttBus
from hall.devices import Device, dumps
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable, StateCache, presence
from hall.store.store import connect

pytestmark = pytest.mark.allow_logged_exceptions


def all_day_catalog(folder: Path) -> None:
    """The sample catalog, open every day around the clock with no quota (tests at any hour)."""
    path = folder / "catalog.json"
    cat = json.loads(path.read_text(encoding="utf-8"))
    for s in cat["services"]:
        s["hours"] = [{"days": "1-7", "from": "00:00", "to": "23:59"}]
        s["daily_quota"] = 0
    path.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")


def hall_config(tmp_path: Path, port: int) -> Path:
    cfg = sample_config_dir(tmp_path / "config")
    all_day_catalog(cfg.parent)
    text = cfg.read_text(encoding="utf-8").replace("port = 1883", f"port = {port}")
    cfg.write_text(text, encoding="utf-8")
    # the load's kiosks are enrolled devices of the hall (hall/devices.py)
    enrolled = [Device(f"kiosk-{i}", "kiosk") for i in range(3)]
    (cfg.parent / "devices.toml").write_text(dumps(enrolled), encoding="utf-8")
    return cfg


class HubProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = config.parent / "hub.log"

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "-v", "hub", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                env=env,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    with MosquittoBroker(tmp_path / "mosquitto") as b:
        yield b


class Role(threading.Thread):
    """A role sending commands in a loop; a command with no answer is retried, same key."""

    def __init__(self, name: str, port: int, stop: threading.Event, kind: str = "kiosk") -> None:
        super().__init__(name=name, daemon=True)
        birth, will = presence(name, kind)
        self.bus = MqttBus(name, port=port, birth=birth, will=will)
        self.client = HallClient(self.bus, timeout=2.0, attempt_timeout=0.5)
        self.stop_flag = stop
        self.confirmed: dict[str, dict[str, Any]] = {}
        self.reconnecting = 0
        self.refused: list[str] = []
        self.slowest = 0.0

    def run(self) -> None:
        while not self.stop_flag.is_set():
            key = self.client.new_key()
            t0 = time.monotonic()
            while True:
                try:
                    result = self.client.execute("issue", {"service": "SB-001"}, key=key)
                except HubUnreachable:
                    self.reconnecting += 1  # a real role shows "正在重新连接"
                    if self.stop_flag.is_set() and self.reconnecting > 1000:
                        return
                    continue
                except CommandRefused as r:
                    self.refused.append(r.code)
                    break
                self.confirmed[key] = result
                self.slowest = max(self.slowest, time.monotonic() - t0)
                break
            time.sleep(0.005)

    def finish(self) -> None:
        self.join(60)
        assert not self.is_alive(), f"{self.name} never got its last command through"
        self.bus.close()


def check_log(db: Path, roles: list[Role]) -> int:
    conn = connect(db)
    try:
        rows = conn.execute("SELECT data FROM events WHERE type = 'ticket.issued'").fetchall()
    finally:
        conn.close()
    issued = [json.loads(r[0]) for r in rows]
    numbers = [d["number"] for d in issued]
    assert len(numbers) == len(set(numbers)), "a number was issued twice"
    confirmed = {r["ticket_id"]: r for role in roles for r in role.confirmed.values()}
    ids = {d["ticket_id"] for d in issued}
    assert set(confirmed) <= ids, "a confirmed ticket is missing from the log"
    # every command was retried until it was confirmed: nothing acted without its key
    assert len(ids) == len(confirmed), "a command acted twice (or acted unconfirmed)"
    return len(ids)


def wait_hub(port: int, timeout: float = 15.0) -> None:
    bus = MqttBus("tool-local", port=port)  # the technician on the hub's box
    try:
        assert bus.wait_connected(5)
        client = HallClient(bus, timeout=timeout)
        client.execute(
            "report_device", {"device": "tool-local", "kind": "printer", "ok": True, "state": "ok"}
        )
    finally:
        bus.close()


def test_hub_sigkilled_under_load(tmp_path: Path, broker: MosquittoBroker) -> None:
    cfg = hall_config(tmp_path, broker.port)
    hub = HubProcess(cfg)
    hub.start()
    wait_hub(broker.port)
    stop = threading.Event()
    roles = [Role(f"kiosk-{i}", broker.port, stop) for i in range(3)]
    for r in roles:
        assert r.bus.wait_connected(5)
        r.start()
    time.sleep(1.0)
    for _ in range(2):
        hub.kill()
        time.sleep(0.5)
        hub.start()
        time.sleep(1.5)
    stop.set()
    for r in roles:
        r.finish()
    assert hub.stop() == 0
    n = check_log(cfg.parent / "hall.db", roles)
    assert n > 20
    assert max(r.slowest for r in roles) > 0.3, "the kills were not noticed"
    assert not [code for r in roles for code in r.refused]


def test_mosquitto_restarted_under_load(tmp_path: Path, broker: MosquittoBroker) -> None:
    cfg = hall_config(tmp_path, broker.port)
    hub = HubProcess(cfg)
    hub.start()
    wait_hub(broker.port)
    stop = threading.Event()
    roles = [Role(f"kiosk-{i}", broker.port, stop) for i in range(2)]
    for r in roles:
        assert r.bus.wait_connected(5)
        r.start()
    time.sleep(1.0)
    broker.restart()  # no persistence: the retained state is gone and must come back
    time.sleep(3.0)
    stop.set()
    for r in roles:
        r.finish()
    n = check_log(cfg.parent / "hall.db", roles)
    assert n > 10
    # a display starting now sees the whole, current state at once
    late = MqttBus("display-1", port=broker.port)
    try:
        assert late.wait_connected(5)
        cache = StateCache(late)
        end = time.monotonic() + 10
        board: dict[str, Any] | None = None
        while time.monotonic() < end:
            board = cache.board
            if (
                board
                and next(s for s in board["services"] if s["code"] == "SB-001")["waiting"] == n
            ):
                break
            time.sleep(0.05)
        assert board is not None
        assert next(s for s in board["services"] if s["code"] == "SB-001")["waiting"] == n
        assert cache.wait_for(p.CATALOG, 5) is not None
    finally:
        late.close()
    assert hub.stop() == 0


def test_a_second_hub_on_the_same_database_is_refused(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    cfg = hall_config(tmp_path, broker.port)
    hub = HubProcess(cfg)
    hub.start()
    wait_hub(broker.port)
    second = subprocess.run(
        [sys.executable, "-m", "appliance", "hub", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 4
    assert "another hub is running" in second.stderr
    assert hub.stop() == 0
    conn = connect(cfg.parent / "hall.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
