"""`hall demo --headless`: a county hall's simulated day, written to a folder."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from hall import config, report
from hall.core import commands as c
from hall.core.timekeeping import FixedClock, at_local
from hall.sim.day import DayPlan, DaySimulation, staffed_counters
from hall.store.store import HallStore


def data_file(name: str) -> Path:
    return Path(str(resources.files("hall.sim") / "data" / name))


def next_weekday(today: date) -> date:
    d = today
    while d.isoweekday() > 5:
        d += timedelta(days=1)
    return d


class StorePort:
    """The simulation talks straight to the store (until the hall bus carries it)."""

    def __init__(self, store: HallStore) -> None:
        self.store = store

    def execute(self, cmd: c.Command) -> dict[str, Any]:
        return self.store.execute(cmd).result


def prepare(out: Path) -> config.HallConfig:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_file("catalog.json"), out / "catalog.json")
    shutil.copy(data_file("county-hall.toml"), out / "hall.toml")
    db = out / "hall.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return config.load(out / "hall.toml")


def run_demo(
    out: Path,
    *,
    seed: int = 1,
    arrivals: int = 1500,
    day: date | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    cfg = prepare(out)
    catalog, raw = cfg.load_catalog()
    the_day = day or next_weekday(date.today())
    clock = FixedClock(at_local(the_day, "08:00", cfg.tz))
    t0 = time.perf_counter()
    with HallStore(
        cfg.database_path, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=clock
    ) as store:
        counters = staffed_counters(catalog, arrivals)
        store.setup(raw, counters)
        plan = DayPlan(
            day=the_day,
            tz=cfg.tz,
            arrivals=arrivals,
            seed=seed,
            counters={x["id"]: x["services"] for x in counters},
        )
        sim = DaySimulation(StorePort(store), clock, catalog, plan)
        echo(f"simulating {the_day.isoformat()} at {cfg.hall.name} ({arrivals} citizens expected)…")
        outcome = sim.run()
        with (out / "events.jsonl").open("w", encoding="utf-8") as f:
            for e in store.iter_events():
                f.write(json.dumps(e.to_wire(), ensure_ascii=False) + "\n")
        rep = report.build(store.conn, the_day, cfg.tz)
    files = report.write(rep, out / "report", cfg.hall.name)
    summary = {
        "hall": cfg.hall.id,
        "day": the_day.isoformat(),
        "seed": seed,
        **outcome.summary(),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "files": ["events.jsonl", *[str(f.relative_to(out)) for f in files]],
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return summary
