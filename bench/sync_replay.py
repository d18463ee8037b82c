"""A 50,000-event backlog replayed after a reconnect to the city peer, which stores in order
only and checks the h chain (contract v1.1), over a local Mosquitto.

Prints, from one run on the same machine:
- floor: a minimal pipelined client that publishes the same batches (built from the same
  hall database) all at once, through the same relay, and waits only for the city's ack of
  the last;
- sync: `hall sync` (a separate process, backlog rate unbounded) connected while the city said
  offline, its link cut (socat killed), the city back online, the link restored: from its
  reconnect until the city acked the last backlog event, and the ratio to the floor (target:
  within 2×);
- live events: a ticket issued through the hub every 0.1 s during the replay and for 3 s
  after it; from just before the request (so at most the commit's round trip early) until
  the city's events-ack covers its seq (p50/p99, target p99 < 2 s during and after);
- the sync process's peak RSS (VmHWM, target < 80 MB).
The city peer runs as its own process (`hall sync city-peer serve`); TCP_NODELAY is set on the
broker, the relay and every client. Needs socat. Run: python bench/sync_replay.py
[--events 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
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
from hall.devices import Device  # noqa: E402
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
    """A spy on the city broker: every events-ack (when, acked_through) and when `hall sync`
    said it was online (its status, not the retained copy)."""

    def __init__(self, port: int) -> None:
        self.acks: list[tuple[float, int]] = []
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
        now = time.time()
        payload = json.loads(msg.payload) if msg.payload else {}
        if msg.topic.endswith("/up/status"):
            if payload.get("online") and not msg.retain:
                self.status_at = now
            return
        acked = int(payload.get("acked_through", 0))
        self.acks.append((now, acked))
        self.acked = max(self.acked, acked)
        if self.target and self.acked >= self.target and not self.done.is_set():
            self.at = now
            self.done.set()

    def reset(self, target: int) -> None:
        self.acked, self.at, self.target, self.status_at = 0, None, target, None
        self.acks = []
        self.done.clear()

    def acked_at(self, seq: int) -> float | None:
        """When the city first acked `seq`."""
        return next((t for t, a in self.acks if a >= seq), None)

    def close(self) -> None:
        self.client.stop()


class Relay:
    """The network between the hall and the city broker, which the bench can cut: socat
    relaying a loopback port to the broker (nodelay on both sides). Killing it drops every
    connection through it and refuses new ones until it is started again."""

    def __init__(self, target: int) -> None:
        if shutil.which("socat") is None:
            sys.exit("this benchmark needs socat (apt install socat) to cut the city link")
        self.target = target
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "socat",
                f"TCP-LISTEN:{self.port},bind=127.0.0.1,fork,reuseaddr,nodelay",
                f"TCP:127.0.0.1:{self.target},nodelay",
            ],
            start_new_session=True,
        )
        end = time.monotonic() + 5
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)

    def cut(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # socat and its forked relays
            self.proc.wait()
            self.proc = None


def _nodelay(client: Any, userdata: Any, sock: Any) -> None:
    import socket

    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def start_peer(db: Path, port: int, *, offline: bool = False) -> subprocess.Popen[bytes]:
    """The city peer in its own process (in-order storage, the h chain checked); `offline`:
    it says cloud/status offline until it is told `online` on its standard input."""
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
            *(["--offline"] if offline else []),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # printed once it is connected and subscribed
        if b"city peer running" in line:
            break
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
    t0 = time.time()
    for data in batches:
        client.publish(wire.up(HALL, "events"), data, qos=1)
    watch.done.wait(300)
    took = (watch.at or time.time()) - t0
    client.loop_stop()
    client.disconnect()
    return took


def write_sync_config(cfg_path: Path, hall_port: int, city_port: int, rate: int) -> Path:
    raw = tomllib.loads(cfg_path.read_text("utf-8"))
    raw["bus"] = {"port": hall_port}
    raw["sync"] = {
        "broker_url": f"mqtt://127.0.0.1:{city_port}",
        "backlog_rate": rate,
        "keepalive_s": 5,
        **EXTRA,
    }
    out = cfg_path.parent / "sync-bench.toml"
    out.write_text(tomlwrite.dumps(raw), "utf-8")
    return out


def rss_kb(pid: int, key: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def replay_with_live_events(
    work: Path, cfg_path: Path, broker: CityBroker, relay: Relay, watch: AckWatch, n: int
) -> dict[str, Any]:
    """`hall sync` connected (the city says offline, so nothing goes), the link cut, the city
    back online, the link restored: sync reconnects and replays n events while the hall
    issues a ticket every 0.1 s, and for 3 s after the replay."""
    peer = start_peer(CITY_DIR / "sync-city.db", broker.port, offline=True)
    with LocalHall(work / "hall", transport="mqtt", config_path=cfg_path) as hall:
        sync_cfg = write_sync_config(cfg_path, hall.port or 1883, relay.port, ARGS.rate)
        hall.devices.add(Device("sync", "sync"))
        _, client = hall.connect("bench-kiosk", "kiosk")
        watch.reset(n)
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "sync", "--config", str(sync_cfg)],
            cwd=ROOT,
            stderr=open(work / "sync.log", "wb"),  # noqa: SIM115 - the process keeps it
        )
        end = time.monotonic() + 20
        while watch.status_at is None and time.monotonic() < end:
            time.sleep(0.05)
        relay.cut()  # the city link goes down …
        assert peer.stdin is not None
        peer.stdin.write(b"online\n")  # … the city comes back online meanwhile
        peer.stdin.flush()
        time.sleep(2.0)
        watch.reset(n)
        relay.start()  # … and the link is back: sync reconnects and replays
        end = time.monotonic() + 30
        while watch.status_at is None and time.monotonic() < end:
            time.sleep(0.01)
        connected = watch.status_at or time.time()
        live: list[tuple[str, float]] = []
        after_until: float | None = None
        while time.monotonic() < end + 300:
            if watch.done.is_set() and after_until is None:
                after_until = time.monotonic() + 3.0
            if after_until is not None and time.monotonic() > after_until:
                break
            t = time.time()
            res = client.execute("issue", {"service": "SB-002"})
            live.append((res["ticket_id"], t))
            time.sleep(0.1)
        replay_done = watch.at or time.time()
        top = len(hall.events())
        deadline = time.monotonic() + 30
        while watch.acked < top and time.monotonic() < deadline:
            time.sleep(0.05)
        peak = rss_kb(proc.pid)
        cpu = cpu_s(proc.pid)
        seq_of = {
            e["data"]["ticket_id"]: e["seq"] for e in hall.events() if e["type"] == "ticket.issued"
        }
        proc.terminate()
        proc.wait(10)
    stop(peer)
    during, after = [], []
    for tid, t in live:
        acked = watch.acked_at(seq_of[tid])
        if acked is None:
            continue
        (during if t < replay_done else after).append(acked - t)
    return {
        "sync_s": replay_done - connected,
        "live": len(live),
        "during": during,
        "after": after,
        "peak_kb": peak,
        "cpu_s": cpu,
        "chain_breaks": chain_breaks(CITY_DIR / "sync-city.db"),
    }


def chain_breaks(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT chain_breaks FROM halls WHERE hall_id = ?", (HALL,)).fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else -1


ARGS = argparse.Namespace(events=50_000, rate=0)
CITY_DIR = Path(tempfile.gettempdir())
EXTRA: dict[str, Any] = json.loads(os.environ.get("SYNC_BENCH_EXTRA", "{}"))


def main() -> None:
    global CITY_DIR
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--rate", type=int, default=0, help="sync backlog_rate (0: unbounded)")
    ap.parse_args(namespace=ARGS)
    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    # The city's own storage in memory (tmpfs) when there is one: the bench measures the
    # hall's link, not this box's disk; the floor and sync meet the same city.
    shm = Path("/dev/shm")
    CITY_DIR = Path(tempfile.mkdtemp(prefix="sync-bench-city-", dir=shm if shm.is_dir() else None))
    cfg_path = build_hall(work / "hall", ARGS.events)
    broker = CityBroker(work / "city-broker").start()
    relay = Relay(broker.port)
    relay.start()
    watch = AckWatch(broker.port)
    n = Outbox(cfg_path.parent / "hall.db").max_seq()

    peer = start_peer(CITY_DIR / "floor-city.db", broker.port)
    floor_s = floor(cfg_path.parent / "hall.db", relay.port, watch, n)
    stop(peer)
    print(f"floor (pipelined client, same relay, same city peer): {n} events in {floor_s:.2f} s")

    got = replay_with_live_events(work, cfg_path, broker, relay, watch, n)
    relay.cut()
    watch.close()
    broker.close()
    ratio = got["sync_s"] / floor_s
    during, after = got["during"], got["after"]
    print(
        f"sync: {n} events acked {got['sync_s']:.2f} s after its reconnect, "
        f"{ratio:.2f}x the floor (target <= 2x); chain breaks at the city: {got['chain_breaks']}"
    )
    for name, lat in (("during the replay", during), ("after the replay", after)):
        print(
            f"live events {name}: {len(lat)}, commit to the city's ack p50 "
            f"{percentile(lat, 0.5) * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms, "
            f"max {max(lat, default=float('nan')) * 1000:.0f} ms (target p99 < 2000 ms)"
        )
    print(
        f"sync process: peak RSS {got['peak_kb'] / 1024:.1f} MB (target < 80 MB), "
        f"{got['cpu_s']:.2f} s of CPU from its start to the end of the run"
    )
    print(
        json.dumps(
            {
                "bench": "sync_replay",
                "events": n,
                "floor_s": round(floor_s, 3),
                "sync_s": round(got["sync_s"], 3),
                "ratio": round(ratio, 2),
                "live": got["live"],
                "during_n": len(during),
                "during_p50_ms": round(percentile(during, 0.5) * 1000),
                "during_p99_ms": round(percentile(during, 0.99) * 1000),
                "after_n": len(after),
                "after_p99_ms": round(percentile(after, 0.99) * 1000),
                "sync_rss_mb": round(got["peak_kb"] / 1024, 1),
                "chain_breaks": got["chain_breaks"],
                "backlog_rate": ARGS.rate,
            }
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(CITY_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
