"""Test kit for 云叫号 on the city link: a hall whose catalog and rules can say no in every
way the contract names, sync with an injected clock for its progress rate limit, the hub
driven straight through its store (counters calling)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from appliance import config as hall_config
from appliance.local import LocalHall, sample_config_dir
from hall.core import commands as c
from hall.core.timekeeping import FixedClock
from sync.service import SyncService


class Tick:
    """The progress relay's clock: moved by the test, never by time passing."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def phone_hall(folder: Path, clock: FixedClock, **queue: Any) -> LocalHall:
    """The sample county hall: HY-001 not remote, YB-002 one ticket a day, HJ-001 open in
    the afternoon only; `queue` settings on top."""
    config_path = sample_config_dir(folder / "config")
    cat_path = config_path.parent / "catalog.json"
    cat = json.loads(cat_path.read_text("utf-8"))
    for s in cat["services"]:
        if s["code"] == "HY-001":
            s["remote"] = False
        if s["code"] == "YB-002":
            s["daily_quota"] = 1
        if s["code"] == "HJ-001":
            s["hours"] = [{"days": "1-5", "from": "13:30", "to": "17:00"}]
    cat_path.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    return LocalHall(
        folder, transport="mqtt", clock=clock, config_path=config_path, queue=queue or None
    )


def start_phone_sync(hall: LocalHall, config_path: Path, clock: Tick) -> SyncService:
    cfg = hall_config.load(config_path)
    return SyncService(
        cfg,
        validate_config=hall_config.parse,
        bus=hall.bus(f"sync-{time.monotonic_ns() % 10**6}", "sync"),
        clock=clock,
    ).start()


def run(hall: LocalHall, cmd: c.Command) -> dict[str, Any]:
    """A command straight through the hub's store (a counter, a kiosk); the hub publishes."""
    with hall.hub._lock:
        out = hall.store.execute(cmd)
    hall.hub.refresh()
    return out.result


def paper(hall: LocalHall, n: int, service: str = "SB-001") -> list[dict[str, Any]]:
    return [run(hall, c.IssueTicket(service)) for _ in range(n)]
