"""Hub command round trips over a private local Mosquitto, beside a bare paho round trip.

In one run, on one broker (TCP_NODELAY on the broker and every client):
  (a) bare paho: publish → an echo client republishes → the first client receives (QoS 1);
  (b) kiosk `issue` through the hub (`hall hub` in its own process; HallClient → MQTT 5
      request → hub → SQLite commit →
      reply), each a new ticket;
  (c) pad `call_next` through the hub (each call finishes the ticket in hand);
  (d) from sending a call to the retained board carrying it reaching a subscriber.
Target (issue 3): p99 round trip under 20 ms and within 3× the bare round trip.

Two runs, printed side by side (`--mode plain|secure|both`, default both):
  plain   an open broker, no password, no TLS (the hall bus before issue 14);
  secure  the hall's Mosquitto as a hub box runs it (appliance/ops/hallbroker.py: every
          client with its own password, the ACL from the devices, client ids pinned); the
          hub on loopback with its password, the kiosk, pads and display over the TLS LAN
          listener as other boxes reach it, the bare paho pair over TLS with passwords too.
The hub authorises every request (its registry: devices.toml beside the config).

    .venv/bin/python bench/hub_roundtrip.py [-n 500] [--mode both]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import paho.mqtt.client as paho
from bus_roundtrip import BarePinger, percentiles
from paho.mqtt.enums import CallbackAPIVersion

from appliance.local import sample_config_dir
from appliance.ops.hallbroker import HallMosquitto
from hall.bus import passwd
from hall.bus.broker import MosquittoBroker
from hall.bus.interface import Message
from hall.bus.login import BusLogin
from hall.bus.mqtt import MqttBus, connect
from hall.devices import Device
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, presence

ROLES = [("kiosk-1", "kiosk"), ("pads-1", "pads"), ("display-1", "display")]
PAD_COUNTERS = frozenset({"1"})

TARGET_P99_MS = 20.0
TARGET_RATIO = 3.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def no_quota_config(folder: Path, port: int | None = None) -> Path:
    """The sample hall, open around the clock with no quota (a bench at any hour)."""
    cfg = sample_config_dir(folder)
    cat_path = folder / "catalog.json"
    cat = json.loads(cat_path.read_text(encoding="utf-8"))
    for s in cat["services"]:
        s["daily_quota"] = 0
        s["hours"] = [{"days": "1-7", "from": "00:00", "to": "23:59"}]
    cat_path.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    text = cfg.read_text(encoding="utf-8")
    # calls every few ms at one counter: not a double press to refuse here
    text = text.replace("[queue]\n", "[queue]\ndouble_press_seconds = 0\n", 1)
    if port is not None:
        text = text.replace("port = 1883", f"port = {port}")
    cfg.write_text(text, encoding="utf-8")
    # the hub authorises by its registry: the pad line serves counter 1
    (folder / "devices.toml").write_text(
        '[[device]]\nid = "pads-1"\nrole = "pads"\ncounters = ["1"]\n', encoding="utf-8"
    )
    return cfg


class Role:
    """A role's bus and client, as in `LocalHall.connect`."""

    def __init__(self, login: BusLogin, client_id: str, role: str) -> None:
        birth, will = presence(client_id, role)
        self.bus: MqttBus = connect(login, client_id, birth=birth, will=will)
        if not self.bus.wait_connected(5):
            raise RuntimeError(f"{client_id} could not connect")
        self.client = HallClient(self.bus, timeout=10)


class BenchBroker(HallMosquitto):
    """The hall's Mosquitto, and two bench identities for the bare round trip."""

    BENCH: ClassVar[dict[str, str]] = {
        "bench-ping": passwd.new_password(),
        "bench-echo": passwd.new_password(),
    }

    def _write_access(self) -> None:
        super()._write_access()
        with self.files.passwd.open("a", encoding="ascii") as f:
            for user, pw in self.BENCH.items():
                f.write(f"{user}:{passwd.hash_password(user, pw)}\n")
        with self.files.acl.open("a", encoding="utf-8") as f:
            for user in self.BENCH:
                f.write(f"\nuser {user}\ntopic readwrite bench/#\n")


class SecurePinger(BarePinger):
    """The bare paho pair over the TLS listener, each with its password."""

    def __init__(self, broker: BenchBroker) -> None:
        assert broker.lan_port is not None

        def client(name: str) -> paho.Client:
            c = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)
            c.tls_set(str(broker.files.ca_cert))
            c.tls_insecure_set(True)  # the hall's CA is checked; not the host name
            c.username_pw_set(name, broker.BENCH[name])

            def nodelay(cl: paho.Client, userdata: Any, sock: Any) -> None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            c.on_socket_open = nodelay
            c.connect("127.0.0.1", broker.lan_port or 0)
            return c

        self.echo = client("bench-echo")

        def on_ping(c: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
            c.publish("bench/pong", msg.payload, qos=1)

        self.echo.on_message = on_ping
        self.echo.subscribe("bench/ping", qos=1)
        self.pinger = client("bench-ping")
        self.got = threading.Event()
        self.pinger.on_message = lambda c, u, m: self.got.set()
        self.pinger.subscribe("bench/pong", qos=1)
        self.echo.loop_start()
        self.pinger.loop_start()
        time.sleep(0.5)  # both SUBACKs in


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--pace-ms", type=float, default=60.0, help="gap between calls in (c)/(d)")
    ap.add_argument("--mode", choices=["plain", "secure", "both"], default="both")
    args = ap.parse_args()
    modes = ["plain", "secure"] if args.mode == "both" else [args.mode]
    results = {m: run(m, args.n, args.warmup, args.pace_ms) for m in modes}
    for mode, out in results.items():
        report(mode, args.n, out)
    if len(results) == 2:
        print("\nplain vs secure (TLS for the roles, a password each, ACL, authorisation):")
        for key in ("issue", "call", "call_to_board"):
            a, b = results["plain"][key], results["secure"][key]
            print(
                f"  {key:<14} p50 {a['p50']:7.3f} -> {b['p50']:7.3f} ms   "
                f"p99 {a['p99']:7.3f} -> {b['p99']:7.3f} ms"
            )


def run(mode: str, n: int, warmup: int, pace_ms: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        folder = Path(tmp)
        broker: Any
        if mode == "secure":
            broker = BenchBroker(folder / "mosquitto", lan=True, hall_id="410411-ZH01")
            roles = [
                Device(cid, r, PAD_COUNTERS if r == "pads" else frozenset()) for cid, r in ROLES
            ]
            broker.enroll_all([Device("hub", "hub"), *roles])
        else:
            broker = MosquittoBroker(folder / "mosquitto")
        with broker:
            cfg = no_quota_config(folder / "config", broker.port)
            if mode == "secure":  # the hub box's own password, where `hall hub` looks
                broker.write_keys(folder / "config/secrets/bus", ["hub"])
            return measure(mode, broker, cfg, n, warmup, pace_ms)


def measure(
    mode: str, broker: Any, cfg: Path, n: int, warmup: int, pace_ms: float
) -> dict[str, Any]:
    # The hub in its own process, as on the appliance (`hall hub --config`).
    hub = subprocess.Popen([sys.executable, "-m", "appliance", "hub", "--config", str(cfg)])
    try:
        if mode == "secure":
            pinger: BarePinger = SecurePinger(broker)
            logins = {cid: broker.login(cid, lan=True) for cid, _r in ROLES}
        else:
            pinger = BarePinger(broker.port)
            logins = {
                cid: BusLogin("127.0.0.1", broker.port, None, None, None) for cid, _r in ROLES
            }
        # bare samples interleaved with the hub's: both see the same noise
        bare_i: list[float] = []
        bare_c: list[float] = []
        roles = [Role(logins[cid], cid, r) for cid, r in ROLES]
        kiosk, pad, display = roles[0].client, roles[1].client, roles[2].bus
        board_seen: dict[str, float] = {}
        lock = threading.Lock()

        def on_board(msg: Message) -> None:
            calls = msg.payload.get("calls") or []
            if calls:
                with lock:
                    board_seen.setdefault(calls[0]["number"], time.perf_counter())

        display.subscribe(p.BOARD, on_board)
        issue: list[float] = []
        cpu0 = 0.0
        for i in range(warmup + n):
            if i == warmup:  # the hub has started and warmed up: count from here
                cpu0 = cpu_seconds(hub.pid)
            b = pinger.ping()
            t0 = time.perf_counter()
            kiosk.execute("issue", {"service": "SB-001"})
            if i >= warmup:
                issue.append((time.perf_counter() - t0) * 1000)
                bare_i.append(b)
        cpu_issue = (cpu_seconds(hub.pid) - cpu0) / n * 1000
        pad.execute("sign_in", {"counter": "1", "staff": "0107"})
        call: list[float] = []
        sent: dict[str, float] = {}
        for i in range(warmup + n):
            if i == warmup:
                cpu0 = cpu_seconds(hub.pid)
            b = pinger.ping()
            t0 = time.perf_counter()
            r = pad.execute("call_next", {"counter": "1"})
            if i >= warmup:
                bare_c.append(b)
                call.append((time.perf_counter() - t0) * 1000)
                sent[r["number"]] = t0
            time.sleep(pace_ms / 1000)
        time.sleep(0.5)
        cpu_call = (cpu_seconds(hub.pid) - cpu0) / n * 1000
        with lock:
            to_board = [(board_seen[k] - t) * 1000 for k, t in sent.items() if k in board_seen]
        missing = len(sent) - len(to_board)
        pinger.close()
        for role in roles:
            role.bus.close()
    finally:
        hub.terminate()
        hub.wait(10)
    return {
        "bare_beside_issue": percentiles(bare_i),
        "bare_beside_call": percentiles(bare_c),
        "issue": percentiles(issue),
        "call": percentiles(call),
        "call_to_board": percentiles(to_board),
        "boards_missed": missing,
        "hub_cpu_ms_per_issue": round(cpu_issue, 3),
        "hub_cpu_ms_per_call": round(cpu_call, 3),
    }


def report(mode: str, n: int, out: dict[str, Any]) -> None:
    fb, fbc = out["bare_beside_issue"], out["bare_beside_call"]
    fi, fc, fd = out["issue"], out["call"], out["call_to_board"]
    print(f"\n== {mode}")
    rows = [
        ("bare (beside issue)", fb),
        ("bare (beside call)", fbc),
        ("kiosk issue (hub)", fi),
        ("pad call_next (hub)", fc),
        ("call -> board update", fd),
    ]
    for name, f in rows:
        print(f"{name:<22} n={n:<5} p50 {f['p50']:7.3f} ms  p99 {f['p99']:7.3f} ms")
    for name, f, base in (("issue", fi, fb), ("call_next", fc, fbc)):
        print(
            f"ratio {name:<10} / bare  p50 {f['p50'] / base['p50']:5.2f}x  "
            f"p99 {f['p99'] / base['p99']:5.2f}x"
        )
    print(
        f"hub CPU per command (user+system, board publishing included): issue "
        f"{out['hub_cpu_ms_per_issue']:.2f} ms, call_next {out['hub_cpu_ms_per_call']:.2f} ms"
    )
    worst = max(fi["p99"], fc["p99"])
    ratio = max(fi["p99"] / fb["p99"], fc["p99"] / fbc["p99"])
    print(
        f"target: p99 < {TARGET_P99_MS} ms ({'met' if worst < TARGET_P99_MS else 'MISSED'}), "
        f"p99 within {TARGET_RATIO}x bare ({'met' if ratio <= TARGET_RATIO else 'MISSED'}); "
        f"boards missed: {out['boards_missed']}"
    )
    print(
        json.dumps(
            {
                "bench": "hub_roundtrip",
                "mode": mode,
                "n": n,
                **out,
                "p99_ratio_worst": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
