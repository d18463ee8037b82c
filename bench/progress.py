"""云叫号's ticket progress on a busy hall's day: 1,500 citizens, 30 % of them followed by the
city (20 % take their number from a phone, 10 % scan a paper ticket's QR), through the real
hub (LocalHall, in-process hall bus) and sync's progress path (`sync.progress.ProgressRelay`,
the 30 s per-ticket limit counted in the simulated day's time).

Prints:
- upstream `ticket-progress` messages per tracked ticket, and per minute (mean over the
  minutes with any, and the peak minute), with why each was sent;
- the hub's cost of progress: its `progress.cpu_s` (the time computing the tracked tickets'
  views in the state publisher) per progress publication and per ticket update, as a ratio
  to the hub's cost per issued ticket in the same run (the store's `execute` of the issue
  commands, timed around the call).
The simulation waits after each step until the hub has published (`LocalHall.settle`), so
the hub computes progress as often as it would with citizens seconds apart. About a minute.
Run: python bench/progress.py [--arrivals 1500] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance.local import LocalHall  # noqa: E402
from appliance.sim.day import DayPlan, DaySimulation  # noqa: E402
from appliance.sim.demo import BusPort, prepare  # noqa: E402
from hall.core import commands as c  # noqa: E402
from hall.core.timekeeping import FixedClock, at_local  # noqa: E402
from hall.hubapi import protocol as p  # noqa: E402
from hall.hubapi.client import CommandRefused, HallClient  # noqa: E402
from sync.progress import ProgressRelay  # noqa: E402

DAY = date(2026, 12, 7)
ISSUES = (c.IssueTicket, c.IssueRemote)
PADS = ("91", "92", "93")  # the demo's pad counters: not staffed here


class Phones:
    """Phone citizens straight through the hub (no city link: the bench measures progress)."""

    share = 0.2

    def __init__(self, client: HallClient, seed: int) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.n = 0

    def book(self, service: str, priority: str) -> dict[str, Any] | None:
        self.n += 1
        args = {"request_id": f"B{self.n}", "service": service, "priority": priority}
        try:
            return self.client.execute("issue_remote", args)
        except CommandRefused:
            return None

    def arrival_delay(self, booked: Mapping[str, Any]) -> float | None:
        return None if self.rng.random() < 0.05 else self.rng.uniform(8, 45) * 60

    def due(self) -> list[tuple[float, str, str]]:
        return []

    def arrive(self, ticket_id: str) -> None:
        with contextlib.suppress(CommandRefused):  # a no-show already
            self.client.execute("mark_arrived", {"how": "geofence", "ticket_id": ticket_id})


def timed(execute: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def run(cmd: c.Command, idempotency_key: str | None = None) -> Any:
        if not isinstance(cmd, ISSUES):
            return execute(cmd, idempotency_key)
        t0 = time.perf_counter()
        try:
            return execute(cmd, idempotency_key)
        finally:
            spent.append(time.perf_counter() - t0)

    return run


def settle(hall: LocalHall) -> None:
    """Until the hub's publisher has taken the change (LocalHall.settle polls every 10 ms)."""
    end = time.monotonic() + 1.0
    while hall.hub._dirty.is_set() and time.monotonic() < end:
        time.sleep(0.0005)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arrivals", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-progress-"))
    cfg_path = prepare(out, args.arrivals)
    from appliance import config

    cfg = config.load(cfg_path)
    catalog, _ = cfg.load_catalog()
    clock = FixedClock(at_local(DAY, "08:00", cfg.tz))
    sent: list[tuple[float, dict[str, Any]]] = []

    def publish(msg: dict[str, Any]) -> bool:
        sent.append((clock.t, msg))
        return True

    relay = ProgressRelay(publish, clock=clock.wall)
    spent: list[float] = []
    rng = random.Random(args.seed + 1)
    t0 = time.perf_counter()
    with LocalHall(out / "run", clock=clock, config_path=cfg_path) as hall:
        hall.store.execute = timed(hall.store.execute, spent)  # type: ignore[method-assign]
        sync_bus = hall.bus("sync", "sync")
        sync_bus.subscribe(p.PROGRESS_EVENT, relay.on_message)
        _bus, client = hall.connect("bench", "tool", timeout=10.0)
        phones = Phones(client, args.seed)
        watched = 0

        def on_step(kind: str, data: dict[str, Any]) -> None:
            nonlocal watched
            if kind == "issued" and rng.random() < 0.125:  # 10 % of all: paper, QR scanned
                client.execute("watch", {"ticket_id": data["ticket_id"]})
                watched += 1
            settle(hall)
            relay.flush()
            if kind in ("issued", "remote") and int(clock.t) % 60 < 5:
                hall.hub.tick()  # no-shows at arrive_by

        plan = DayPlan(
            day=DAY,
            tz=cfg.tz,
            arrivals=args.arrivals,
            seed=args.seed,
            counters={
                x.id: list(x.services) for x in cfg.counters if x.id not in ("91", "92", "93")
            },
        )
        sim = DaySimulation(BusPort(client), clock, catalog, plan, on_step=on_step, phones=phones)
        outcome = sim.run()
        hall.settle(5.0)
        clock.advance(60)
        relay.flush()
        stats = hall.hub.stats()
        cpu = hall.hub.progress.cpu_s
    wall = time.perf_counter() - t0
    tracked = len({m["ticket_id"] for _t, m in sent})
    per_minute = Counter(int(t // 60) for t, _m in sent)
    first, last = min(per_minute), max(per_minute)
    minutes = [per_minute.get(m, 0) for m in range(first, last + 1)]
    issue_s = statistics.fmean(spent)
    updates = stats.get("progress_updates", 0)
    publications = stats.get("progress_messages", 0)
    print(f"day: {outcome.issued} tickets issued, {phones.n} phone requests, {watched} watched")
    print(f"tracked tickets: {tracked}  ({tracked / max(outcome.issued, 1):.0%} of the issued)")
    print(f"ticket-progress upstream: {len(sent)} messages, {len(sent) / tracked:.2f} per ticket")
    print(f"  why: {dict(relay.stats)}")
    print(
        f"  per minute: mean {statistics.fmean(minutes):.2f} over {len(minutes)} minutes "
        f"(from the first to the last), peak {max(minutes)}"
    )
    print(
        f"hub progress: {publications} publications, {updates} ticket updates, "
        f"{cpu * 1000:.0f} ms computing"
    )
    per_pub, per_update = cpu / max(publications, 1), cpu / max(updates, 1)
    print(
        f"  per publication {per_pub * 1e6:.0f} µs, per ticket update {per_update * 1e6:.0f} µs; "
        f"per issued ticket {issue_s * 1e6:.0f} µs (store execute, {len(spent)} issues)"
    )
    print(
        f"  ratio: per publication {per_pub / issue_s:.2f}×, per ticket update "
        f"{per_update / issue_s:.2f}× the cost of issuing a ticket"
    )
    print(f"wall {wall:.0f} s")


if __name__ == "__main__":
    main()
