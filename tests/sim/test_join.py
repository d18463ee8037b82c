"""Staff who sign in outside the simulated day (the demo's pads at 10:00) work on in it: the
ticket in hand is served on the simulated clock, then they call the next like the simulated
counters, pause over lunch and resume; no counter holds a ticket until the hall closes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from appliance.sim.day import DayPlan, DaySimulation
from appliance.sim.memory import memory_day
from hall.core import commands as c
from hall.core.timekeeping import at_local

DAY = date(2026, 11, 27)
PAD = "91"


def hhmm(at: str) -> str:
    return datetime.fromisoformat(at).strftime("%H:%M")


@pytest.mark.parametrize("holding", ["serving", "called", "nothing"])
def test_staff_signed_in_at_ten_work_on_through_the_day(tmp_path: Path, holding: str) -> None:
    m = memory_day(tmp_path, 400, DAY)
    cfg, catalog, clock, hall, counters = m.cfg, m.catalog, m.clock, m.hall, m.counters
    services = next(list(x.services) for x in cfg.counters if x.id == PAD)
    plan = DayPlan(day=DAY, tz=cfg.tz, arrivals=400, seed=3, counters=counters)
    ten = at_local(DAY, "10:00", cfg.tz)
    joined: list[str] = []

    def on_step(kind: str, data: dict[str, Any]) -> None:
        if joined or clock.t < ten:
            return
        hall.execute(c.SignIn(PAD, "9001"))  # as the pads do, outside the simulation
        in_hand = None
        if holding != "nothing":
            hall.execute(c.IssueTicket(service=services[0]))
            called = hall.execute(c.CallNext(PAD))
            in_hand = (str(called["service"]), holding == "serving")
            if holding == "serving":
                hall.execute(c.Start(PAD))
            joined.append(str(called["ticket_id"]))
        sim.join(PAD, services, in_hand)
        joined.append(PAD)

    sim = DaySimulation(hall, clock, catalog, plan, on_step=on_step)
    sim.run()
    assert joined
    mine = [e.to_wire() for e in hall.log if e.to_wire()["data"].get("counter") == PAD]
    by_type: dict[str, list[str]] = {}
    for e in mine:
        by_type.setdefault(e["type"], []).append(hhmm(e["at"]))
    if holding != "nothing":  # the ticket in hand left the counter on the simulated clock
        left = [
            hhmm(e["at"])
            for e in mine
            if e["type"] in ("ticket.finished", "ticket.skipped")
            and e["data"]["ticket_id"] == joined[0]
        ]
        assert len(left) == 1 and "10:00" < left[0] < "10:45"
    # it worked on like the simulated counters: calls before and after lunch, a pause over it
    calls = by_type["ticket.called"]
    assert sum("10:00" < t < "12:00" for t in calls) >= 3
    assert sum("13:25" <= t < "17:00" for t in calls) >= 3
    assert not [t for t in calls if "12:00" < t < "13:25"]
    assert len(by_type["counter.paused"]) == 1 and "12:00" <= by_type["counter.paused"][0] < "13:00"
    assert by_type["counter.opened"] == ["10:00", "13:25"]  # signed in, resumed

    # every ticket it called left it in the day, none was still in hand when the hall closed
    def ids(*types: str) -> set[str]:
        return {e["data"]["ticket_id"] for e in mine if e["type"] in types}

    assert ids("ticket.called") == ids("ticket.finished", "ticket.skipped")
    assert max(by_type.get("ticket.finished", []) + by_type.get("ticket.skipped", [])) < "20:00"
