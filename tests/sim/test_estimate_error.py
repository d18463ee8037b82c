"""The demo's wait-estimate figures are worked out from what happened, not assumed: the
estimate each ticket was given at issue against its actual first call."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from appliance.sim.day import DayPlan, DaySimulation
from appliance.sim.demo import run_demo
from appliance.sim.figures import error_figures, estimate_errors
from appliance.sim.memory import memory_day

DAY = date(2026, 11, 27)


def first_call_errors(events: list[dict[str, Any]]) -> dict[str, float]:
    """Per ticket: est_wait_min of its ticket.issued minus the minutes to its first call."""
    issued: dict[str, tuple[datetime, int]] = {}
    errors: dict[str, float] = {}
    for e in events:
        d = e["data"]
        tid = d.get("ticket_id")
        if e["type"] == "ticket.issued" and d["est_wait_min"] is not None:
            issued[tid] = (datetime.fromisoformat(e["at"]), d["est_wait_min"])
        elif e["type"] == "ticket.called" and tid in issued and tid not in errors:
            at, est = issued[d["ticket_id"]]
            waited = (datetime.fromisoformat(e["at"]) - at).total_seconds() / 60
            errors[tid] = est - waited
    return errors


def figures(errors: list[float]) -> dict[str, float]:
    absolute = [abs(e) for e in errors]
    return {
        "mean_abs": statistics.fmean(absolute),
        "mean_signed": statistics.fmean(errors),
        "p90_abs": statistics.quantiles(absolute, n=10, method="inclusive")[-1],
    }


def test_the_simulated_citizens_stopwatch_agrees_with_the_log(tmp_path: Path) -> None:
    """In memory (no bus): the citizens time their own wait from issue to call; the log's
    issue and first-call times give the same errors, ticket for ticket."""
    m = memory_day(tmp_path, 1500, DAY)
    cfg, catalog, clock, hall, counters = m.cfg, m.catalog, m.clock, m.hall, m.counters
    plan = DayPlan(day=DAY, tz=cfg.tz, arrivals=1500, seed=5, counters=counters, minutes=100)
    outcome = DaySimulation(hall, clock, catalog, plan).run()
    events = [e.to_wire() for e in hall.log]
    mine = first_call_errors(events)
    assert len(mine) > 200 and sum(1 for e in mine.values() if abs(e) >= 1) > 20
    # (the log's times are to the millisecond)
    assert sorted(outcome.est_errors) == pytest.approx(sorted(mine.values()), abs=1e-4)
    assert sorted(estimate_errors(events)) == pytest.approx(sorted(mine.values()), abs=1e-6)
    reported = outcome.summary()["estimate_error_min"]
    expected = figures(list(mine.values()))
    assert reported["tickets"] == len(mine)
    for key, value in expected.items():
        assert reported[key] == pytest.approx(value, abs=0.005), key


def test_the_demo_summary_is_recomputed_from_its_event_log(tmp_path: Path) -> None:
    """`hall demo`: summary.json's estimate_error_min against events.jsonl, worked out here."""
    s = run_demo(tmp_path, arrivals=1500, minutes=65, day=DAY, echo=lambda _: None)
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    errors = first_call_errors([json.loads(x) for x in lines])
    assert len(errors) > 100 and any(abs(e) >= 1 for e in errors.values())
    written = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    reported = written["estimate_error_min"]
    assert reported == s["estimate_error_min"]
    assert reported["tickets"] == len(errors)
    for key, value in figures(list(errors.values())).items():
        assert reported[key] == pytest.approx(value, abs=0.005), key
    assert error_figures(list(errors.values()))["tickets"] == reported["tickets"]
