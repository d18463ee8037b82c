"""A 50,000-event backlog replayed to the city peer over a local Mosquitto.

Prints, from one run on the same machine:
- floor: a minimal pipelined client that publishes the same batches (built from the same
  hall database) all at once and waits only for the city peer's acks;
- sync: `hall sync` (a separate process, backlog rate unbounded) from its connect until the
  city acked the last event, and the ratio to the floor (target: within 2×);
- live-event latency during the replay: tickets issued through the hub while the backlog
  is replayed, from the request to the city peer storing the event (p50/p99, target p99 < 2 s);
- the sync process's peak RSS (VmHWM, target < 80 MB).
The city peer runs as its own process (`hall sync city-peer serve`); TCP_NODELAY is set on the
broker and every client. Run: python bench/sync_replay.py [--events 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from appliance.local import LocalHall, sample_config_dir  # noqa: E402
from hall import tomlwrite  # noqa: E402
from hall.core import commands as c  # noqa: E402
from hall.core.timekeeping import FixedClock  # noqa: E402
from hall.mqtt import MqttClient  # noqa: E402
from hall.mqttvalues import ConnectOptions, Received  # noqa: E402
from hall.store.store import HallStore  # noqa: E402
from sync import wire  # noqa: E402
from sync.city_peer.broker import CityBroker  # noqa: E402
from sync.outbox import Outbox  # noqa: E402

HALL = "410411-ZH01"
SERVICES = ("SB-001", "YB-001", "BDC-001", "GJJ-001")


def build_hall(folder: Path, events: int) -> Path:
    """The sample hall (open all day, no quotas) with `events` events in its log."""
    from appliance import config

    cfg_path = sample_config_dir(folder / "config")
    cat_path = cfg_path.parent / "catalog.json"
    cat = json.loads(cat_path.read_text("utf-8"))
    for s in cat["services"]:
        s["daily_quota"] = 0
        s["hours"] = [{"days": "1-7", "from": "00:00", "to": "23:59"}]
    cat_path.write_text(json.dumps(cat, ensure_ascii=False), "utf-8")
    cfg = config.load(cfg_path)
    shm = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    scratch = Path(tempfile.mkdtemp(dir=shm)) / "hall.db"
    clock = FixedClock(time.time() - 3 * 3600)
    store = HallStore(scratch, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=clock)
    _catalog, raw = cfg.load_catalog()
    store.setup(raw, cfg.counters_wire())
    for counter in ("1", "3", "4", "6"):
        store.execute(c.SignIn(counter, f"10{counter}"))
    i = 0
    while store.state.last_seq < events:
        clock.advance(0.1)
        counter = ("1", "3", "4", "6")[i % 4]
        store.execute(c.IssueTicket(SERVICES[i % 4]))
        store.execute(c.CallNext(counter))
        store.execute(c.Finish(counter))
        i += 1
    n = store.state.last_seq
    store.close()
    shutil.copy(scratch, cfg.database_path)
    shutil.rmtree(scratch.parent)
    print(f"hall database: {n} events in {cfg.database_path}")
    return cfg_path


class AckWatch:
    """A spy on the city broker: when each events-ack arrives and what it says."""

    def __init__(self, port: int) -> None:
        self.acked = 0
        self.at: float | None = None
        self.target = 0
        self.done = threading.Event()
        self.status_at: float | None = None
        self.client = MqttClient(
            ConnectOptions("127.0.0.1", port, "bench-spy", label="bench broker"),
            self._on_message,
        )
        self.client.subscribe(wire.down(HALL, "events-ack"), qos=1)
        self.client.subscribe(wire.up(HALL, "status"), qos=1)
        self.client.start()
        end = time.monotonic() + 5
        while not self.client.connected and time.monotonic() < end:
            time.sleep(0.01)

    def _on_message(self, msg: Received) -> None:
        payload = json.loads(msg.payload) if msg.payload else {}
        if msg.topic.endswith("/up/status"):
            if payload.get("online") and not msg.retain:
                self.status_at = time.monotonic()
            return
        self.acked = max(self.acked, int(payload.get("acked_through", 0)))
        if self.target and self.acked >= self.target and not self.done.is_set():
            self.at = time.monotonic()
            self.done.set()

    def reset(self, target: int) -> None:
        self.acked, self.at, self.target, self.status_at = 0, None, target, None
        self.done.clear()

    def close(self) -> None:
        self.client.stop()


def _nodelay(client: Any, userdata: Any, sock: Any) -> None:
    import socket

    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def start_peer(db: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appliance",
            "sync",
            "city-peer",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)  # imports and connect
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def floor(db: Path, port: int, watch: AckWatch, n: int) -> float:
    """Publish every batch at once (pipelined) and wait for the city's ack of the last: bare
    paho, no inflight limit, the floor any client on this machine can reach."""
    ob = Outbox(db)
    batches = []
    seq = 1
    while seq <= n:
        b = ob.batch(HALL, seq, n, max_events=500, max_bytes=256 * 1024)
        assert b is not None
        batches.append(b.data)
        seq = b.last + 1
    ob.close()
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"hall-{HALL}", protocol=paho.MQTTv5
    )
    client.max_inflight_messages_set(0)
    client.on_socket_open = _nodelay
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(0.3)
    watch.reset(n)
    t0 = time.monotonic()
    for data in batches:
        client.publish(wire.up(HALL, "events"), data, qos=1)
    watch.done.wait(300)
    took = (watch.at or time.monotonic()) - t0
    client.loop_stop()
    client.disconnect()
    return took


def write_sync_config(cfg_path: Path, hall_port: int, city_port: int, rate: int) -> Path:
    raw = tomllib.loads(cfg_path.read_text("utf-8"))
    raw["bus"] = {"port": hall_port}
    raw["sync"] = {"broker_url": f"mqtt://127.0.0.1:{city_port}", "backlog_rate": rate}
    out = cfg_path.parent / "sync-bench.toml"
    out.write_text(tomlwrite.dumps(raw), "utf-8")
    return out


def rss_kb(pid: int, key: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--rate", type=int, default=0, help="sync backlog_rate (0: unbounded)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    cfg_path = build_hall(work / "hall", args.events)
    broker = CityBroker(work / "city-broker").start()
    watch = AckWatch(broker.port)
    n = Outbox(cfg_path.parent / "hall.db").max_seq()

    peer = start_peer(work / "floor-city.db", broker.port)
    floor_s = floor(cfg_path.parent / "hall.db", broker.port, watch, n)
    stop(peer)
    print(f"floor (pipelined client): {n} events acked in {floor_s:.2f} s")

    peer = start_peer(work / "sync-city.db", broker.port)
    with LocalHall(work / "hall", transport="mqtt", config_path=cfg_path) as hall:
        sync_cfg = write_sync_config(cfg_path, hall.port or 1883, broker.port, args.rate)
        _, client = hall.connect("bench-kiosk", "kiosk")
        watch.reset(n)
        t_start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "sync", "--config", str(sync_cfg)],
            cwd=ROOT,
            stderr=open(work / "sync.log", "wb"),  # noqa: SIM115 - the process keeps it
        )
        live: list[tuple[str, float]] = []
        while not watch.done.is_set() and time.monotonic() - t_start < 300:
            if watch.status_at is not None:
                t = time.time()
                res = client.execute("issue", {"service": "SB-002"})
                live.append((res["ticket_id"], t))
            time.sleep(0.1)
        connected = watch.status_at or t_start
        sync_s = (watch.at or time.monotonic()) - connected
        peak = rss_kb(proc.pid)
        top = len(hall.events())
        end = time.monotonic() + 30
        conn = sqlite3.connect(f"file:{work / 'sync-city.db'}?mode=ro", uri=True)
        while time.monotonic() < end:
            got = conn.execute("SELECT acked_through FROM halls WHERE hall_id = ?", (HALL,))
            row = got.fetchone()
            if row and row[0] >= top:
                break
            time.sleep(0.1)
        stored = {
            json.loads(d)["ticket_id"]: r
            for d, r in conn.execute(
                "SELECT data, received_at FROM events WHERE hall_id = ? AND type = 'ticket.issued'"
                " AND seq > ?",
                (HALL, n),
            )
        }
        conn.close()
        proc.terminate()
        proc.wait(10)
    stop(peer)
    watch.close()
    broker.close()
    lat = sorted(stored[tid] - t for tid, t in live if tid in stored)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    ratio = sync_s / floor_s
    print(
        f"sync: {n} events acked in {sync_s:.2f} s after its connect "
        f"({time.monotonic() - t_start:.1f} s wall incl. start), {ratio:.2f}x the floor "
        f"(target <= 2x)"
    )
    print(
        f"live events during the replay: {len(lat)} of {len(live)} stored; "
        f"latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target p99 < 2000 ms)"
    )
    print(f"sync process peak RSS: {peak / 1024:.1f} MB (target < 80 MB)")
    print(
        json.dumps(
            {
                "bench": "sync_replay",
                "events": n,
                "floor_s": round(floor_s, 3),
                "sync_s": round(sync_s, 3),
                "ratio": round(ratio, 2),
                "live_n": len(lat),
                "live_p50_ms": round(p50 * 1000),
                "live_p99_ms": round(p99 * 1000),
                "sync_rss_mb": round(peak / 1024, 1),
                "backlog_rate": args.rate,
            }
        )
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
