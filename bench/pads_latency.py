"""Counter pads: key press to the call's event committed, beside the wire's physical floor.

Three processes, as deployed: the pad simulator shipped in the product
(``python -m counter_pad.simulator --pty``, modelling wire time at the line speed: it acts
on a request when its last byte would have arrived and answers ``--turnaround`` ms later,
each reply landing when its last byte would), `hall pads` (the real bus master and
pads service), and a hub over a private Mosquitto in this process. For each line speed
(9600, 115200) and pad count (1, 8, 31), each pad presses CALL_NEXT after a random pause,
again and again (the hall presses ``--rate`` keys a second in all, each pad at most one
every 0.5 s). A sample is the time from the press to the hub's call event for that counter
(published right after the commit, received here over MQTT). The hub runs in this process
and, like `hall hub`, freezes its start-up heap out of the collector once set up
(hall/heap.py); `hall pads` does so itself.

The hall has 31 counters, each service served by about three of them. The hub's own part
(a command over MQTT to its call event, without pads) is measured first, for reference.

The floor is the bytes on the wire for one poll cycle (a POLL and an empty EVENTS reply
per pad) at that speed: a press waits on average half a cycle, at worst one.
Target: p99 <= 1.5 x floor + 20 ms. The `hall pads` process's RSS and CPU are read from
/proc during each run (target at 115200 with 31 pads: < 60 MB, < 5% of a core).

The CPU baseline, measured in the same run against the same simulator right after `hall
pads` stops: a bare Python loop that only writes each pad's POLL, waits for the reply
with poll() and reads it (on a slow line: sleeps for the rest of the reply after its first
byte, and reads it), back to back as the master does (``--baseline-s`` seconds, 0 to
skip). Its CPU is the cost of the fewest wake-ups a transaction on this machine, which no
Python master can go below; `hall pads` is reported as a ratio to it too (the machine's
share of the figure told from the product's). Its pace gives the poll cycle this machine
and simulator allow (pads / transactions a second), beside the floor of the wire alone.

The device turnaround defaults to 0.5 ms. The contract only bounds it ("starts its reply
within 20 ms of the end of the request"), a limit for firmware, not a pace: a device that
knows a frame's end from its LEN (no silent interval to wait out, unlike Modbus RTU)
answers a POLL from memory within tens of microseconds plus its RS-485 driver's enable
time. 0.5 ms is a realistic, still cautious figure; `--turnaround 2` gives the former one.

    .venv/bin/python bench/pads_latency.py [--samples 60] [--turnaround 0.5] [--rate 1]
        [--bauds 9600,115200] [--pads 1,8,31] [--no-hub-path] [--baseline-s 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from appliance.local import LocalHall, sample_config_dir
from hall import heap
from hall.bus.interface import Message
from hall.core.timekeeping import FixedClock, at_local
from hall.hubapi import protocol as p

ROOT = Path(__file__).resolve().parents[1]
POLL_CYCLE_BYTES = 10 + 11  # POLL request + empty EVENTS reply, per pad
TZ = ZoneInfo("Asia/Shanghai")


def floor_ms(pads: int, baud: int) -> float:
    return pads * POLL_CYCLE_BYTES * 10 / baud * 1000


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


SERVICES = ["SB-001", "SB-002", "YB-001", "YB-002", "BDC-001", "BDC-002", "GJJ-001", "HJ-001"]
SERVICES += ["CRJ-001", "SCJG-001", "SW-001"]


def service_of(counter: int) -> str:
    """A hall of 31 counters where each service has about three counters."""
    return SERVICES[(counter - 1) // 3 % len(SERVICES)]


def hall_config(folder: Path, counters: int) -> Path:
    path = sample_config_dir(folder)
    text = path.read_text(encoding="utf-8")
    text = text[: text.index("[[counters]]")]
    # Presses here come faster than staff press (each pad at most every 0.5 s): the double
    # press rule (a CALL_NEXT within 2 s of the last call is refused) would turn them away.
    text = text.replace("[queue]\n", "[queue]\ndouble_press_seconds = 0\n", 1)
    for i in range(1, counters + 1):
        text += f'[[counters]]\nid = "{i}"\nservices = ["{service_of(i)}"]\n\n'
    path.write_text(text, encoding="utf-8")
    return path


def hub_path(samples: int) -> dict[str, float]:
    """The hub's own part: call_next sent over MQTT until its call event arrives here."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clock = FixedClock(at_local(date(2026, 11, 27), "09:30", TZ))
        config = hall_config(folder / "c", 31)
        with LocalHall(folder / "hall", transport="mqtt", clock=clock, config_path=config) as hall:
            tool, client = hall.connect("bench-tool", "tool")
            _, caller = hall.connect("bench-caller", "pads")
            got = threading.Event()
            tool.subscribe(p.CALL_EVENT, lambda m: got.set())
            for _ in range(samples + 5):
                client.execute("issue", {"service": "SB-001"})
            client.execute("sign_in", {"counter": "1", "staff": "1001"})
            out = []
            for _ in range(samples):
                got.clear()
                t0 = time.perf_counter()
                caller.execute("call_next", {"counter": "1"})
                got.wait(5)
                out.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.02)
    return {"p50_ms": round(percentile(out, 50), 1), "p99_ms": round(percentile(out, 99), 1)}


BARE_LOOP = """
import os, select, sys, time
from counter_pad.port import SerialPort
from counter_pad.wire_v1 import SeqFrame
from counter_pad import frames_v1 as v1
path, pads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
port = SerialPort(path, int(sys.argv[4]))
polls = [SeqFrame(a, v1.Cmd.POLL, bytes(3)) for a in range(1, pads + 1)]
wait = float(sys.argv[5])
for poll in polls:
    port.ask(poll.frame(0), v1.MAX_FRAME, wait)
    time.sleep(0.1)  # the rest of the reply, and of whatever `hall pads` left on the line
    port.reset_input_buffer()
print("ready", flush=True)
sys.stdin.readline()
byte = v1.wire_time(1, int(sys.argv[4]))
n, seq, end = 0, 0, time.monotonic() + seconds
while time.monotonic() < end:
    for poll in polls:
        seq = (seq + 1) & 0xFF
        got = port.ask(poll.frame(seq), v1.MAX_FRAME, wait)
        if got and len(got) < 11:  # the rest of the idle reply: sleep for it, then read
            time.sleep(byte * (11 - len(got)))
            while len(got) < 11:
                got += port.read(v1.MAX_FRAME, 0.01)
        n += len(got) == 11
print(n, flush=True)
sys.stdin.readline()
"""


def bare_loop(path: str, pads: int, baud: int, seconds: float) -> dict[str, float]:
    """The baseline: CPU % and µs a transaction of a bare write/poll/read loop on ``path``."""
    wait = 10 * 10 / baud + 0.050  # a POLL's wire time and the first-byte timeout
    cmd = [sys.executable, "-c", BARE_LOOP, path, str(pads), str(seconds), str(baud), str(wait)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdout.readline()  # ready: imported, port open, every pad answered once
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        count = int(proc.stdout.readline())
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.monotonic() - t0
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return {
        "cpu_percent": round(100 * cpu / wall, 2),
        "per_second": round(count / wall),
        "us_per_transaction": round(1e6 * cpu / max(count, 1), 1),
        "cycle_ms": round(1000 * pads * wall / max(count, 1), 1),
    }


class Simulator:
    """The product's simulator as its own process, driven through its stdin."""

    def __init__(self, pads: int, baud: int, turnaround_ms: float) -> None:
        cmd = [sys.executable, "-m", "counter_pad.simulator", "--pty", "--quiet"]
        cmd += ["--baud", str(baud), "--pads", f"1-{pads}", "--turnaround", str(turnaround_ms)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stdin: IO[str] = self.proc.stdin
        self.path = self.proc.stdout.readline().strip()
        self._lock = threading.Lock()
        threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True).start()

    def _drain(self, out: IO[str]) -> None:
        for _ in out:
            pass

    def press(self, address: int) -> float:
        with self._lock:
            self.stdin.write(f"press {address} CALL_NEXT\n")
            self.stdin.flush()
            return time.perf_counter()

    def close(self) -> None:
        try:
            self.stdin.write("quit\n")
            self.stdin.flush()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def measure(
    pads: int,
    baud: int,
    samples: int,
    turnaround_ms: float,
    rate: float,
    seed: int,
    baseline_s: float = 0.0,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clock = FixedClock(at_local(date(2026, 11, 27), "09:30", TZ))
        config = hall_config(folder / "c", 31)
        hall = LocalHall(folder / "hall", transport="mqtt", clock=clock, config_path=config)
        hall.add_device("pads-1", "pads")  # `hall pads` below: the hub knows it, its password
        sim = Simulator(pads, baud, turnaround_ms)
        devices = ", ".join(f'{{ address = {a}, counter = "{a}" }}' for a in range(1, pads + 1))
        text = config.read_text(encoding="utf-8").replace("port = 1883", f"port = {hall.port}")
        text += (
            f'\n[pads]\n[[pads.buses]]\nname = "bench"\nport = "{sim.path}"\n'
            f"baud = {baud}\ndevices = [{devices}]\n"
        )
        pads_config = config.parent / "pads.toml"
        pads_config.write_text(text, encoding="utf-8")
        tool, client = hall.connect("bench-tool", "tool")
        for a in range(1, pads + 1):
            for _ in range(samples // pads + 12):
                client.execute("issue", {"service": service_of(a)})
        for a in range(1, pads + 1):
            client.execute("sign_in", {"counter": str(a), "staff": str(1000 + a)})
        heap.settle()  # the hub runs here; `hall hub` settles its heap once started
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "pads", "--config", str(pads_config)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        lock = threading.Lock()
        pressed: dict[str, float] = {}
        done = {str(a): threading.Event() for a in range(1, pads + 1)}
        latencies: list[float] = []

        def on_call(msg: Message) -> None:
            now = time.perf_counter()
            counter = str(msg.payload["counter"])
            with lock:
                t0 = pressed.pop(counter, None)
                if t0 is not None:
                    latencies.append((now - t0) * 1000)
            if counter in done:
                done[counter].set()

        tool.subscribe(p.CALL_EVENT, on_call)
        stop = threading.Event()
        mean_pause = max(0.5, pads / rate)
        rng = random.Random(seed)

        def presser(address: int) -> None:
            counter = str(address)
            r = random.Random(rng.random())
            while not stop.wait(r.uniform(0.5, 1.5) * mean_pause):
                done[counter].clear()
                with lock:
                    pressed[counter] = time.perf_counter()
                sim.press(address)
                if not done[counter].wait(5):
                    with lock:
                        pressed.pop(counter, None)

        try:
            time.sleep(3 + pads * POLL_CYCLE_BYTES * 30 / baud)  # start, scan, first displays
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            threads = [
                threading.Thread(target=presser, args=(a,), daemon=True) for a in range(1, pads + 1)
            ]
            for t in threads:
                t.start()
            end = time.monotonic() + 180
            while time.monotonic() < end:
                with lock:
                    if len(latencies) >= samples:
                        break
                time.sleep(0.05)
            stop.set()
            for t in threads:
                t.join(timeout=6)
            wall = time.monotonic() - t0
            cpu = 100 * (cpu_seconds(proc.pid) - cpu0) / wall
            rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
        try:
            bare = bare_loop(sim.path, pads, baud, baseline_s) if baseline_s > 0 else {}
        finally:
            sim.close()
            hall.close()
    with lock:
        got = latencies[:samples]
    floor = floor_ms(pads, baud)
    p99 = percentile(got, 99)
    target = 1.5 * floor + 20
    return {
        "baud": baud,
        "pads": pads,
        "n": len(got),
        "p50_ms": round(percentile(got, 50), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(got), 1),
        "floor_ms": round(floor, 1),
        "target_ms": round(target, 1),
        "met": p99 <= target,
        "pads_cpu_percent": round(cpu, 2),
        "pads_rss_mb": round(rss, 1),
        "bare_loop": bare,
        "pads_cpu_vs_bare": round(cpu / bare["cpu_percent"], 2) if bare else None,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=60, help="presses per configuration")
    parser.add_argument("--turnaround", type=float, default=0.5, help="device reply delay, ms")
    parser.add_argument("--rate", type=float, default=1.0, help="presses a second, all pads")
    parser.add_argument("--bauds", default="9600,115200")
    parser.add_argument("--pads", default="1,8,31")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-s", type=float, default=10.0, help="seconds of the bare loop (0: none)"
    )
    parser.add_argument(
        "--no-hub-path", action="store_true", help="skip the hub's own part (while iterating)"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the hub's notes on roles coming and going
    hub = {} if args.no_hub_path else hub_path(args.samples)
    if hub:
        print(
            f"hub path (call_next over MQTT to its call event, no pads): "
            f"p50 {hub['p50_ms']} ms  p99 {hub['p99_ms']} ms",
            flush=True,
        )
    print(f"device turnaround {args.turnaround} ms, {args.rate} presses/s", flush=True)
    rows = []
    for baud in map(int, args.bauds.split(",")):
        for pads in map(int, args.pads.split(",")):
            row = measure(
                pads, baud, args.samples, args.turnaround, args.rate, args.seed, args.baseline_s
            )
            rows.append(row)
            print(
                f"{baud:>6} baud {pads:>2} pads  n={row['n']:<4} p50 {row['p50_ms']:7.1f} ms  "
                f"p99 {row['p99_ms']:7.1f} ms  max {row['max_ms']:7.1f} ms  "
                f"floor {row['floor_ms']:6.1f} ms  target {row['target_ms']:6.1f} ms  "
                f"{'MET' if row['met'] else 'MISSED'}   hall pads: "
                f"CPU {row['pads_cpu_percent']:4.1f}%  RSS {row['pads_rss_mb']:.0f} MB",
                flush=True,
            )
            bare = row["bare_loop"]
            if bare:
                print(
                    f"{'':>22}bare loop, same line: CPU {bare['cpu_percent']:4.1f}% "
                    f"({bare['per_second']}/s, {bare['us_per_transaction']} µs each, "
                    f"a cycle of {bare['cycle_ms']} ms); hall pads = {row['pads_cpu_vs_bare']}x",
                    flush=True,
                )
    fp = [r for r in rows if r["baud"] == 115200 and r["pads"] == 31]
    if fp:
        ok = fp[0]["pads_rss_mb"] < 60 and fp[0]["pads_cpu_percent"] < 5
        print(f"footprint target at 115200 x 31 (< 60 MB, < 5% CPU): {'MET' if ok else 'MISSED'}")
    print(
        json.dumps(
            {
                "turnaround_ms": args.turnaround,
                "presses_per_s": args.rate,
                "hub_path": hub,
                "latency": rows,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
