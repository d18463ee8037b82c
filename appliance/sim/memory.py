"""The demo's hall in memory (no store, no bus): for the estimate's benchmark and the tests
that play a whole day in a second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from appliance import config
from appliance.config import HallConfig
from appliance.sim.demo import PAD_COUNTERS, prepare
from hall.core import commands as c
from hall.core.engine import MemoryHall
from hall.core.model import Catalog
from hall.core.state import new_state
from hall.core.timekeeping import FixedClock, at_local


@dataclass
class MemoryDay:
    """The demo's config for `arrivals` citizens, its hall in memory at 08:00 of `day` with
    the catalog and counters applied, and the counters the day simulation staffs (the
    pads' counters are not among them)."""

    cfg: HallConfig
    catalog: Catalog
    clock: FixedClock
    hall: MemoryHall
    counters: dict[str, list[str]]


def memory_day(folder: Path, arrivals: int, day: date) -> MemoryDay:
    cfg = config.load(prepare(folder, arrivals))
    catalog, raw = cfg.load_catalog()
    clock = FixedClock(at_local(day, "08:00", cfg.tz))
    hall = MemoryHall(new_state(cfg.hall.id, cfg.tz, cfg.rules()), clock)
    hall.execute(c.ApplyCatalog(version=int(raw["version"]), services=list(raw["services"])))
    hall.execute(c.ConfigureCounters(counters=cfg.counters_wire()))
    counters = {x.id: list(x.services) for x in cfg.counters if x.id not in PAD_COUNTERS}
    return MemoryDay(cfg, catalog, clock, hall, counters)
