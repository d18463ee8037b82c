"""Hall bus round trips over a private local Mosquitto.

(a) bare paho: client A publishes, client B echoes back, A measures;
(b) `MqttBus.request()` to a `serve()` handler that returns at once.
Both at QoS 1, with TCP_NODELAY on broker and clients; `--nagle` repeats both with nodelay
off everywhere, to show what Nagle's algorithm costs.

    .venv/bin/python bench/bus_roundtrip.py [-n 2000] [--nagle] [--nagle-n 200]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from hall.bus.broker import MosquittoBroker
from hall.bus.mqtt import MqttBus

TARGET_P99_MS = 20.0
TARGET_RATIO = 3.0


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98], "mean": statistics.fmean(samples)}


def _paho_client(name: str, port: int, nodelay: bool) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)

    def on_socket_open(c: paho.Client, userdata: Any, sock: Any) -> None:
        if nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = on_socket_open
    client.connect("127.0.0.1", port)
    return client


class BarePinger:
    """Two bare paho clients: `ping()` publishes, the echo republishes, returns ms."""

    PAYLOAD = b'{"cmd":"call_next","counter":"3","key":"0123456789abcdef"}'

    def __init__(self, port: int, nodelay: bool = True) -> None:
        self.echo = _paho_client("bench-echo", port, nodelay)

        def on_ping(c: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
            c.publish("bench/pong", msg.payload, qos=1)

        self.echo.on_message = on_ping
        self.echo.subscribe("bench/ping", qos=1)
        self.pinger = _paho_client("bench-ping", port, nodelay)
        self.got = threading.Event()
        self.pinger.on_message = lambda c, u, m: self.got.set()
        self.pinger.subscribe("bench/pong", qos=1)
        self.echo.loop_start()
        self.pinger.loop_start()
        time.sleep(0.3)  # both SUBACKs in

    def ping(self) -> float:
        self.got.clear()
        start = time.perf_counter()
        self.pinger.publish("bench/ping", self.PAYLOAD, qos=1)
        if not self.got.wait(2):
            raise RuntimeError("bare round trip lost a message")
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        for c in (self.pinger, self.echo):
            c.disconnect()
            c.loop_stop()


def bare_roundtrips(port: int, n: int, warmup: int, nodelay: bool) -> list[float]:
    pinger = BarePinger(port, nodelay)
    try:
        samples = [pinger.ping() for _ in range(warmup + n)]
    finally:
        pinger.close()
    return samples[warmup:]


def request_roundtrips(port: int, n: int, warmup: int, nodelay: bool) -> list[float]:
    hub = MqttBus("bench-hub", port=port, nodelay=nodelay)
    pad = MqttBus("bench-pad", port=port, nodelay=nodelay)
    samples: list[float] = []
    try:
        if not (hub.wait_connected(5) and pad.wait_connected(5)):
            raise RuntimeError("bus clients did not connect")
        hub.serve("hall/v1/cmd/+", lambda topic, payload: {"ok": True, "ticket": "A012"})
        payload = {"cmd": "call_next", "counter": "3", "key": "0123456789abcdef"}
        for i in range(warmup + n):
            start = time.perf_counter()
            pad.request("hall/v1/cmd/call", payload, timeout=2)
            if i >= warmup:
                samples.append((time.perf_counter() - start) * 1000)
    finally:
        pad.close()
        hub.close()
    return samples


def run(n: int, warmup: int, nodelay: bool) -> tuple[dict[str, float], dict[str, float]]:
    with (
        tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp,
        MosquittoBroker(Path(tmp), nodelay=nodelay) as broker,
    ):
        bare = percentiles(bare_roundtrips(broker.port, n, warmup, nodelay))
        req = percentiles(request_roundtrips(broker.port, n, warmup, nodelay))
    label = "nodelay on " if nodelay else "nodelay off"
    for name, fig in (("bare paho pub->echo", bare), ("MqttBus.request()", req)):
        print(
            f"{label}  {name:<20} n={n:<5} p50 {fig['p50']:7.3f} ms  "
            f"p99 {fig['p99']:7.3f} ms  mean {fig['mean']:7.3f} ms"
        )
    print(
        f"{label}  ratio request/bare     p50 {req['p50'] / bare['p50']:5.2f}x   "
        f"p99 {req['p99'] / bare['p99']:5.2f}x"
    )
    return bare, req


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=2000, help="round trips per measurement")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--nagle", action="store_true", help="also run with nodelay off")
    parser.add_argument("--nagle-n", type=int, default=200, help="round trips with nodelay off")
    args = parser.parse_args()
    bare, req = run(args.n, args.warmup, nodelay=True)
    ok = req["p99"] < TARGET_P99_MS and req["p99"] <= TARGET_RATIO * bare["p99"]
    print(
        f"target: request p99 < {TARGET_P99_MS:g} ms and <= {TARGET_RATIO:g}x bare p99: "
        f"{'MET' if ok else 'MISSED'}"
    )
    if args.nagle:
        run(args.nagle_n, min(args.warmup, 20), nodelay=False)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
