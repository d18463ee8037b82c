"""智能导航: where else the same service is nearest, fastest or best, from the city's data.

The city-sync helper publishes the retained hall-bus topic ``hall/v1/state/nearby``:
``{"at", "online", "halls": [{"hall_id", "name", "address", "distance_km", "services",
"load": {code: {"waiting", "est_wait_min"}}, "load_at"}]}`` and ranks it with
``hall.core.navigation.rank(nearby, service, mode)``; the kiosk shows that ranking. Pure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

TOPIC = "hall/v1/state/nearby"
MODES = ("nearest", "fastest", "best")


@dataclass(frozen=True)
class NearbyRow:
    hall_id: str
    name: str
    address: str
    distance_km: float | None
    waiting: int | None
    est_wait_min: int | None
    reason: str = ""  # hall.core.navigation's Chinese words for why this hall ranks here
    age_min: int | None = None  # minutes since the hall's figures


def rank(
    nearby: dict[str, Any], service: str, mode: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Halls offering ``service`` in ``mode`` order, by ``hall.core.navigation.rank``.
    ``now``: the ages of the figures count to this time, so figures kept while the hall is
    offline show how old they really are."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    from hall.core.navigation import rank as city_rank

    ranked: list[dict[str, Any]] = city_rank(
        nearby,
        service,
        mode,  # type: ignore[arg-type]
        now=now,
    )
    return ranked


def _load(hall: dict[str, Any], service: str) -> dict[str, Any]:
    load = hall.get("load")
    item = load.get(service) if isinstance(load, dict) else None
    return item if isinstance(item, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def rows(ranked: list[dict[str, Any]], service: str) -> list[NearbyRow]:
    """Rows to show; takes ``hall.core.navigation.rank``'s flat items (waiting, est_wait_min,
    reason, age_min at the top) as well as raw halls (figures under ``load``)."""
    out = []
    for h in ranked:
        load = h if "waiting" in h or "est_wait_min" in h else _load(h, service)
        distance = _number(h.get("distance_km"))
        age = _number(h.get("age_min"))
        waiting = _number(load.get("waiting"))
        est = _number(load.get("est_wait_min"))
        out.append(
            NearbyRow(
                hall_id=str(h.get("hall_id", "")),
                name=str(h.get("name", "")),
                address=str(h.get("address", "")),
                distance_km=distance,
                waiting=int(waiting) if waiting is not None else None,
                est_wait_min=int(est) if est is not None else None,
                reason=str(h.get("reason") or ""),
                age_min=int(age) if age is not None else None,
            )
        )
    return out


def services_offered(nearby: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for h in nearby.get("halls", []) or []:
        if isinstance(h, dict):
            found.update(s for s in h.get("services") or [] if isinstance(s, str))
    return found


def as_of(nearby: dict[str, Any]) -> str | None:
    """The time of the data as HH:MM (local to the offset it carries), or None."""
    at = nearby.get("at")
    if not isinstance(at, str):
        return None
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).strftime("%H:%M")
    except ValueError:
        return None
