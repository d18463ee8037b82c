"""How far the wait estimate given at issue is from the actual wait until the first call.

Runs the demo's simulated day (its config: `hall demo`'s counters staffed for the load, its
catalog and queue rules) over the queue core in memory, for a few seeds, and prints per seed
the error of every called ticket's estimate (estimate at issue − minutes from issue to first
call, from the event log): mean absolute, p90 absolute and mean signed (bias; negative = the
hall promised less waiting than people got). Target (issue 17): p90 ≤ 5 and |bias| ≤ 0.5.

Run: python bench/estimate_accuracy.py [--seeds 1 2 3] [--arrivals 1500] [--minutes N]

`--replay DEMO_FOLDER…` instead scores the estimator as it is now on the days `hall demo`
recorded (their events.jsonl: the kiosk's and the pads' tickets too): the log is applied
event by event and each ticket is estimated again just before its ticket.issued. The day
itself does not depend on the estimate, so this is what the demo would report.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance import config  # noqa: E402
from appliance.sim.day import DayPlan, DaySimulation, error_figures, estimate_errors  # noqa: E402
from appliance.sim.memory import memory_day  # noqa: E402
from hall.core import events as ev  # noqa: E402
from hall.core.apply import apply  # noqa: E402
from hall.core.estimate import estimate_minutes  # noqa: E402
from hall.core.state import new_state  # noqa: E402

DAY = date(2026, 11, 27)  # a Friday


def one_day(folder: Path, seed: int, arrivals: int, minutes: int | None) -> dict[str, object]:
    m = memory_day(folder, arrivals, DAY)
    cfg, catalog, clock, hall, counters = m.cfg, m.catalog, m.clock, m.hall, m.counters
    plan = DayPlan(day=DAY, tz=cfg.tz, arrivals=arrivals, seed=seed, counters=counters)
    plan.minutes = minutes
    t0 = time.perf_counter()
    out = DaySimulation(hall, clock, catalog, plan).run()
    wall = time.perf_counter() - t0
    errs = estimate_errors([e.to_wire() for e in hall.log])
    return {
        "seed": seed,
        "issued": out.issued,
        **error_figures(errs),
        "sim_seconds": round(wall, 1),
    }


def replay(folder: Path) -> dict[str, Any]:
    """Score today's estimator on a day `hall demo` recorded in `folder`."""
    cfg = config.load(folder / "hall.toml")
    state = new_state(cfg.hall.id, cfg.tz, cfg.rules())
    issued: dict[str, tuple[float, int]] = {}
    errors: list[float] = []
    same = 0
    with (folder / "events.jsonl").open(encoding="utf-8") as f:
        for line in f:
            w = json.loads(line)
            ts = datetime.fromisoformat(w["at"]).timestamp()
            d = w["data"]
            if w["type"] == "ticket.issued" and d["est_wait_min"] is not None:
                est = estimate_minutes(state, d["service"], d["waiting_ahead"])
                assert est is not None
                issued[d["ticket_id"]] = (ts, est)
                same += est == d["est_wait_min"]
            elif w["type"] == "ticket.called" and d["ticket_id"] in issued:
                t0, est = issued.pop(d["ticket_id"])
                errors.append(est - (ts - t0) / 60)
            payload = ev.payload_from(w["type"], d)
            apply(state, ev.Event(w["seq"], w["id"], w["at"], ts, payload, w.get("h", "")))
    return {"day": folder.name, **error_figures(errors), "as_logged": same}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--arrivals", type=int, default=1500)
    ap.add_argument("--minutes", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--replay", type=Path, nargs="+", help="folders `hall demo` wrote")
    a = ap.parse_args()
    if a.replay:
        for folder in a.replay:
            print(json.dumps(replay(folder)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            rows.append(one_day(Path(tmp) / str(seed), seed, a.arrivals, a.minutes))
    if a.json:
        print(json.dumps(rows))
        return
    print(f"{'seed':>4} {'issued':>6} {'n':>5} {'mean|e|':>8} {'p90|e|':>7} {'bias':>6}")
    for r in rows:
        print(
            f"{r['seed']:>4} {r['issued']:>6} {r['tickets']:>5} {r['mean_abs']:>8} "
            f"{r['p90_abs']:>7} {r['mean_signed']:>6}"
        )


if __name__ == "__main__":
    main()
