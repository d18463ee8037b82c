"""A city of N halls on one city broker (issue 19): the halls' real city-link code, many in
one process (bench/cityscale), against Mosquitto with TLS client certificates and the
contract's ACL, and the city peer as K consumer processes (a shared subscription).

Scenarios (each prints its figures and the per-hall count: lost, stored twice):
- steady: every hall connected, live events at the city mix's rate (× --speed) for
  --seconds: events/s city-wide, end-to-end latency (the hub's commit to the hall's
  events-ack) p50/p99, broker / consumers / halls CPU and RSS;
- storm: the broker stopped, --hours of every hall's events written into its log (as the
  hall would have during the outage), the broker restarted: every hall reconnects (its
  backoff at the cap after the outage) and sends its backlog; time until every backlog is
  drained, peak connections per second, live-event latency p99 during the drain, peak CPU
  and memory;
- kill: the storm, with one consumer SIGKILLed a third of the way through and restarted;
- flap: steady, with --flap-share of the halls losing their connection every 2 s.

Run: python bench/city_scale.py storm --halls 3000 --consumers 2
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cityscale.city import City, Meter, count  # noqa: E402
from bench.cityscale.eventlog import EventLog, HallSpec, city_mix, template  # noqa: E402
from bench.cityscale.halls import SimHall  # noqa: E402
from bench.cityscale.mux import Mux  # noqa: E402
from sync.city_peer.pki import PLATFORM_CN, make_pki  # noqa: E402
from sync.city_peer.store import CityStore  # noqa: E402
from sync.settings import SyncSection  # noqa: E402


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1)]


class Sim:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
        self.tmp = Path(tempfile.mkdtemp(prefix="cityscale-", dir=a.city_dir))
        self.hall_dir = Path(tempfile.mkdtemp(prefix="cityscale-halls-", dir=a.hall_dir))
        t = time.monotonic()
        self.specs = city_mix(a.halls)
        self.pki = make_pki(self.tmp / "pki", clients=(PLATFORM_CN,))
        for s in self.specs:
            self.pki.client(s.hall_id)
        print(f"setup: {a.halls} halls' certificates in {time.monotonic() - t:.1f} s", flush=True)
        self.city = City(self.tmp, self.pki, a.consumers).start()
        self.mux = Mux(connectors=a.connectors)
        self.latencies: list[float] = []
        tmpl = template(self.hall_dir)
        self.halls = [self._hall(s, tmpl) for s in self.specs]
        self.meters = self.city.meters()
        self.rng = random.Random(7)
        self.live_on = False
        self._live_at = 0.0
        self._weights: list[float] = []
        acc = 0.0
        for h in self.halls:
            acc += h.spec.events_per_s
            self._weights.append(acc)
        self.rate = acc * a.speed
        self.mux.extra.append(self._live)

    def _hall(self, spec: HallSpec, tmpl: Path) -> SimHall:
        ident = self.pki.client(spec.hall_id)
        a = self.a
        s = SyncSection(
            broker_url=f"mqtts://127.0.0.1:{self.city.broker.port}",
            ca_file=str(self.pki.ca),
            cert_file=str(ident.cert),
            key_file=str(ident.key),
            backlog_rate=a.backlog_rate,
            backlog_inflight_batches=a.backlog_inflight,
            reconnect_max_s=a.reconnect_max,
            ack_timeout_s=a.ack_timeout,
            connect_timeout_s=a.connect_timeout,
            batch_max_events=a.batch_events,
        )
        log = EventLog(spec, self.hall_dir, tmpl)
        return SimHall(spec, log, self.hall_dir, s, self.mux, self.latencies)

    # --- live events, on the mux thread ------------------------------------------------

    def _live(self, now: float) -> None:
        if not self.live_on:
            self._live_at = now
            return
        dt, self._live_at = now - self._live_at, now
        expect = self.rate * dt
        n = int(expect) + (1 if self.rng.random() < expect - int(expect) else 0)
        if n:
            for h in self.rng.choices(self.halls, cum_weights=self._weights, k=n):
                h.write_live(1)

    # --- watching ----------------------------------------------------------------------

    def connected(self) -> int:
        return sum(1 for h in self.halls if h.link.connected)

    def drained(self) -> int:
        return sum(1 for h in self.halls if not h.busy())

    def wait(
        self,
        cond: Callable[[], bool],
        timeout: float,
        every: float = 1.0,
        tick: Callable[[float], None] | None = None,
    ) -> float:
        t0 = time.monotonic()
        while not cond():
            now = time.monotonic()
            if now - t0 > timeout:
                raise TimeoutError(f"not done in {timeout:.0f} s")
            for m in self.meters:
                m.sample(now)
            if tick is not None:
                tick(now - t0)
            time.sleep(every)
        return time.monotonic() - t0

    def start(self) -> None:
        self.mux.start()
        took = self.wait(lambda: self.connected() == len(self.halls), 600)
        self.wait(lambda: self.drained() == len(self.halls), 600)
        print(f"connected: {len(self.halls)} halls in {took:.1f} s", flush=True)

    def figures(self, title: str) -> None:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"--- {title} (machine load average {load}; 2 cores, shared)")
        for m in self.meters:
            print(
                f"  {m.name:10s} CPU mean {m.mean():5.1f} %  peak {m.peak_cpu:5.1f} %  "
                f"RSS peak {m.peak_rss:7.1f} MB"
            )

    def finish(self) -> int:
        self.live_on = False
        self.wait(lambda: self.drained() == len(self.halls), 300)
        heads = {h.hall_id: h.head for h in self.halls}
        store = CityStore(self.city.db)
        c = count(store, heads)
        counters = store.counters()
        store.close()
        stats = {
            k: sum(h.sender.stats[k] for h in self.halls)
            for k in ("batches", "events", "go_back", "timeouts", "city_behind")
        }
        print(
            f"count: {c.halls} halls, {sum(heads.values())} events in the halls' logs, "
            f"{c.events} stored; lost {c.lost} ({len(c.halls_lost)} halls), stored twice "
            f"{c.twice} ({len(c.halls_twice)} halls)"
        )
        print(f"halls sent: {stats}")
        print(f"links dropped: {dict(self.mux.reasons.most_common())}")
        lags = self.mux.lags
        print(
            f"the halls' loop: {len(lags)} turns, p99 {pct(lags, 99) * 1000:.0f} ms, "
            f"max {self.mux.lag_max:.2f} s, turns over 1 s: {sum(1 for x in lags if x > 1)}"
        )
        keep = ("events_stored", "events_duplicate", "gap_batches", "chain_breaks")
        print(f"city counters: { {k: counters.get(k, 0) for k in keep} }", flush=True)
        return 0 if c.lost == 0 and c.twice == 0 else 1

    def close(self) -> None:
        self.mux.stop()
        for h in self.halls:
            h.close()
        self.city.stop()
        if not self.a.keep:
            shutil.rmtree(self.hall_dir, ignore_errors=True)
            shutil.rmtree(self.tmp, ignore_errors=True)


def steady(sim: Sim, flap: float = 0.0) -> None:
    a = sim.a
    for m in sim.meters:
        m.reset()
    sim.latencies.clear()
    sim.live_on = True
    t0 = time.monotonic()
    last_flap = [0.0]

    def tick(t: float) -> None:
        if flap and t - last_flap[0] >= 2.0:
            last_flap[0] = t
            chosen = sim.rng.sample(sim.halls, max(1, int(flap * len(sim.halls))))
            sim.mux.extra.append(_dropper(sim, chosen))

    with contextlib.suppress(TimeoutError):
        sim.wait(lambda: False, a.seconds, tick=tick)
    took = time.monotonic() - t0
    sim.live_on = False
    sim.wait(lambda: sim.drained() == len(sim.halls), 300)
    lat = sim.latencies
    print(
        f"live: {len(lat)} events in {took:.0f} s = {len(lat) / took:.1f} events/s city-wide "
        f"(mix rate × {a.speed:g}); latency commit → events-ack p50 {pct(lat, 50) * 1000:.0f} "
        f"ms, p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat, default=0) * 1000:.0f} ms"
    )
    if flap:
        print(f"flaps: {sum(h.connects for h in sim.halls) - len(sim.halls)} reconnects")
    sim.figures("steady" if not flap else "flap")


def _dropper(sim: Sim, chosen: list[SimHall]) -> Callable[[float], None]:
    def drop(now: float) -> None:
        for h in chosen:
            sim.mux.drop(h.m, "flap")
        sim.mux.extra.remove(drop)

    return drop


def storm(sim: Sim, kill: bool = False) -> None:
    a = sim.a
    sim.city.broker.stop()
    t = time.monotonic()
    total = 0
    for h in sim.halls:
        lam = h.spec.events_per_s * a.hours * 3600
        n = max(1, int(sim.rng.gauss(lam, math.sqrt(lam))))
        h.log.append(n, at=time.time() - a.hours * 3600)
        total += n
    print(
        f"outage: broker stopped; {total} events ({a.hours:g} h) written into "
        f"{len(sim.halls)} logs in {time.monotonic() - t:.1f} s",
        flush=True,
    )
    # the halls' backoff after hours of failed attempts: at its cap
    sim.wait(
        lambda: (
            all(h.m.core._attempts and h.m.core.backoff.attempt >= 7 for h in sim.halls) or True
        ),
        1,
    )
    for h in sim.halls:
        h.m.core.backoff.attempt = max(h.m.core.backoff.attempt, 10)
    sim.mux.redraw_retries()  # each hall's next attempt: full jitter over the cap
    time.sleep(0.5)
    for m in sim.meters:
        m.reset()
    sim.latencies.clear()
    for h in sim.halls:
        h.since_up.clear()
    before = sum(h.connects for h in sim.halls)
    sim.city.broker.start()
    sim.meters[0] = Meter("broker", sim.city.broker.pid or 0)
    sim.live_on = True
    rates: list[float] = []
    last = [before]
    last_t = [0.0]
    killed: list[float] = []

    def tick(t: float) -> None:
        c = sum(h.connects for h in sim.halls)
        if t > last_t[0]:  # per second, however late the sampling thread was
            rates.append((c - last[0]) / max(1.0, t - last_t[0]))
        last[0], last_t[0] = c, t
        done = sim.drained()
        if int(t) % 10 == 0:
            print(f"  t={t:5.0f} s connected {sim.connected():5d} drained {done:5d}", flush=True)
        if kill and not killed and done >= len(sim.halls) // 3:
            victim = sim.city.consumers[-1]
            victim.kill()
            killed.append(t)
            print(f"  t={t:5.0f} s consumer {victim.i} SIGKILLed", flush=True)
            victim.start()
            sim.meters = [m for m in sim.meters if m.name != f"consumer{victim.i}"]
            sim.meters.append(Meter(f"consumer{victim.i}", victim.pid))

    took = sim.wait(lambda: sim.drained() == len(sim.halls), a.timeout, tick=tick)
    lat = sim.latencies
    up = [x for h in sim.halls for x in h.since_up]
    print(
        f"drain: every backlog acked {took:.1f} s after the broker's restart "
        f"(goal 900 s); peak {max(rates, default=0):.0f} connections/s; live events during the "
        f"drain {len(lat)}: latency from the commit p50 {pct(lat, 50):.2f} s, p99 "
        f"{pct(lat, 99):.2f} s, max {max(lat, default=0):.2f} s (includes waiting for the "
        f"hall's own reconnect); from the commit or the hall's reconnect, whichever is "
        f"later: p50 {pct(up, 50):.2f} s, p99 {pct(up, 99):.2f} s (goal < 5 s), max "
        f"{max(up, default=0):.2f} s"
    )
    sim.figures("kill" if kill else "storm")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("scenario", choices=("steady", "storm", "kill", "flap"))
    p.add_argument("--halls", type=int, default=300)
    p.add_argument("--consumers", type=int, default=2)
    p.add_argument("--hours", type=float, default=4.0, help="outage (storm, kill)")
    p.add_argument("--seconds", type=float, default=60.0, help="steady, flap")
    p.add_argument("--speed", type=float, default=1.0, help="live rate × this")
    p.add_argument("--flap-share", type=float, default=0.05)
    p.add_argument("--backlog-rate", type=int, default=1000)
    p.add_argument("--backlog-inflight", type=int, default=4)
    p.add_argument("--reconnect-max", type=float, default=60.0)
    p.add_argument("--ack-timeout", type=float, default=SyncSection().ack_timeout_s)
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=SyncSection().connect_timeout_s,
        help="TCP + TLS + CONNACK; the product's 10 s by default",
    )
    p.add_argument("--batch-events", type=int, default=SyncSection().batch_max_events)
    p.add_argument("--connectors", type=int, default=4)
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--city-dir", default=None, help="city db and broker (default: /tmp)")
    p.add_argument("--hall-dir", default="/dev/shm", help="the halls' files (tmpfs)")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    sim = Sim(a)
    try:
        sim.start()
        if a.scenario == "steady":
            steady(sim)
        elif a.scenario == "flap":
            steady(sim, flap=a.flap_share)
        else:
            storm(sim, kill=a.scenario == "kill")
        return sim.finish()
    finally:
        sim.close()


if __name__ == "__main__":
    sys.exit(main())
