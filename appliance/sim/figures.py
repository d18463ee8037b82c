"""What the demo reports about the wait estimate: each ticket's estimate at issue against
its actual first call, from a hall's event log, and the figures over a day."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


def error_figures(errors: list[float]) -> dict[str, Any]:
    """Mean absolute, p90 absolute and mean signed error (minutes) of wait estimates."""
    if not errors:
        return {"tickets": 0, "mean_abs": None, "mean_signed": None, "p90_abs": None}
    return {
        "tickets": len(errors),
        "mean_abs": round(statistics.fmean(abs(e) for e in errors), 2),
        "mean_signed": round(statistics.fmean(errors), 2),
        "p90_abs": round(p90([abs(e) for e in errors]), 2),
    }


def estimate_errors(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """From a hall's event log (wire form): for every ticket issued with an estimate and
    called since, the estimate minus the minutes from its issue to its first call."""
    issued: dict[str, tuple[float, float]] = {}
    errors: list[float] = []
    for e in events:
        data = e["data"]
        if e["type"] == "ticket.issued" and data.get("est_wait_min") is not None:
            issued[data["ticket_id"]] = (_ts(e["at"]), float(data["est_wait_min"]))
        elif e["type"] == "ticket.called":
            first = issued.pop(data["ticket_id"], None)  # later calls find nothing
            if first is not None:
                errors.append(first[1] - (_ts(e["at"]) - first[0]) / 60)
    return errors


def _ts(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]
