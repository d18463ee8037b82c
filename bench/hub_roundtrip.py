"""Hub command round trips over a private local Mosquitto, beside a bare paho round trip.

In one run, on one broker (TCP_NODELAY on the broker and every client):
  (a) bare paho: publish → an echo client republishes → the first client receives (QoS 1);
  (b) kiosk `issue` through the hub (`hall hub` in its own process; HallClient → MQTT 5
      request → hub → SQLite commit →
      reply), each a new ticket;
  (c) pad `call_next` through the hub (each call finishes the ticket in hand);
  (d) from sending a call to the retained board carrying it reaching a subscriber.
Target (issue 3): p99 round trip under 20 ms and within 3× the bare round trip.

    .venv/bin/python bench/hub_roundtrip.py [-n 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bus_roundtrip import BarePinger, percentiles

from appliance.local import sample_config_dir
from hall.bus.broker import MosquittoBroker
from hall.bus.interface import Message
from hall.bus.mqtt import MqttBus
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, presence

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
    if port is not None:
        text = cfg.read_text(encoding="utf-8").replace("port = 1883", f"port = {port}")
        cfg.write_text(text, encoding="utf-8")
    return cfg


class Role:
    """A role's bus and client, as in `LocalHall.connect`."""

    def __init__(self, port: int, client_id: str, role: str) -> None:
        birth, will = presence(client_id, role)
        self.bus = MqttBus(client_id, port=port, birth=birth, will=will)
        if not self.bus.wait_connected(5):
            raise RuntimeError(f"{client_id} could not connect")
        self.client = HallClient(self.bus, timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--pace-ms", type=float, default=60.0, help="gap between calls in (c)/(d)")
    args = ap.parse_args()
    n, warmup = args.n, args.warmup
    with (
        tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp,
        MosquittoBroker(Path(tmp) / "mosquitto") as broker,
    ):
        folder = Path(tmp)
        cfg = no_quota_config(folder / "config", broker.port)
        # The hub in its own process, as on the appliance (`hall hub --config`).
        hub = subprocess.Popen([sys.executable, "-m", "appliance", "hub", "--config", str(cfg)])
        try:
            pinger = BarePinger(broker.port)
            # bare samples interleaved with the hub's: both see the same noise
            bare_i: list[float] = []
            bare_c: list[float] = []
            roles = [
                Role(broker.port, "kiosk-1", "kiosk"),
                Role(broker.port, "pads-1", "pads"),
                Role(broker.port, "display-1", "display"),
            ]
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
                time.sleep(args.pace_ms / 1000)
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
    fb, fbc = percentiles(bare_i), percentiles(bare_c)
    fi, fc, fd = (percentiles(x) for x in (issue, call, to_board))
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
        f"hub CPU per command (user+system, board publishing included): issue {cpu_issue:.2f} ms, "
        f"call_next {cpu_call:.2f} ms"
    )
    worst = max(fi["p99"], fc["p99"])
    ratio = max(fi["p99"] / fb["p99"], fc["p99"] / fbc["p99"])
    print(
        f"target: p99 < {TARGET_P99_MS} ms ({'met' if worst < TARGET_P99_MS else 'MISSED'}), "
        f"p99 within {TARGET_RATIO}x bare ({'met' if ratio <= TARGET_RATIO else 'MISSED'}); "
        f"boards missed: {missing}"
    )
    print(
        json.dumps(
            {
                "bench": "hub_roundtrip",
                "n": n,
                "bare_beside_issue": fb,
                "bare_beside_call": fbc,
                "issue": fi,
                "call": fc,
                "call_to_board": fd,
                "p99_ratio_worst": round(ratio, 2),
                "hub_cpu_ms_per_issue": round(cpu_issue, 3),
                "hub_cpu_ms_per_call": round(cpu_call, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
