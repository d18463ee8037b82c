"""Smart navigation (智能导航): where else the same service is nearest, fastest or best.

`build_nearby` turns the city's directory and the other halls' live load into the retained
hall-bus state `hall/v1/state/nearby` the kiosk reads; `rank` orders those halls for one
service (最近办 / 最快办 / 最优办). Both are pure: the kiosk ranks from the last known figures
when the city is out of reach, and says how old they are.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

Mode = Literal["nearest", "fastest", "best"]
MODES: tuple[Mode, ...] = ("nearest", "fastest", "best")
MODE_ZH = {"nearest": "最近办", "fastest": "最快办", "best": "最优办"}

KM_PER_MIN = 0.5
"""Travel speed assumed for 最优办: about 30 km/h across town, 2 minutes per km."""
UNKNOWN_WAIT_MIN = 30
"""What an unknown wait counts as for 最优办 (no live figures from that hall)."""
STALE_MIN = 60
"""Figures older than this are not trusted to rank by waiting time."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _pos(h: dict[str, Any]) -> tuple[float, float] | None:
    lat, lon = h.get("lat"), h.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        return float(lat), float(lon)
    return None


def build_nearby(
    directory: dict[str, Any] | None,
    loads: dict[str, dict[str, Any]],
    *,
    hall_id: str,
    at: str | None,
    online: bool,
    max_halls: int = 30,
    max_km: float = 80.0,
) -> dict[str, Any]:
    """The payload of `hall/v1/state/nearby`: other halls, nearest first.

    `loads` maps a hall id to its last `up/load` payload; `at` is when this was built.
    """
    halls_in = list((directory or {}).get("halls") or [])
    me = next((h for h in halls_in if h.get("hall_id") == hall_id), None)
    here = _pos(me) if me else None
    out: list[dict[str, Any]] = []
    for h in halls_in:
        hid = h.get("hall_id")
        if not isinstance(hid, str) or hid == hall_id:
            continue
        pos = _pos(h)
        dist = round(haversine_km(*here, *pos), 1) if here and pos else None
        if dist is not None and dist > max_km:
            continue
        load = loads.get(hid) or {}
        services = [s for s in h.get("services") or [] if isinstance(s, str)]
        figures: dict[str, Any] = {}
        for code, entry in (load.get("services") or {}).items():
            if isinstance(entry, dict) and isinstance(entry.get("waiting"), int):
                est = entry.get("est_wait_min")
                figures[code] = {
                    "waiting": entry["waiting"],
                    "est_wait_min": est if isinstance(est, int) else None,
                }
        out.append(
            {
                "hall_id": hid,
                "name": str(h.get("name") or hid),
                "address": str(h.get("address") or h.get("district") or ""),
                "distance_km": dist,
                "services": services,
                "load": figures,
                "load_at": load.get("at") if isinstance(load.get("at"), str) else None,
            }
        )
    out.sort(key=lambda x: (x["distance_km"] is None, x["distance_km"] or 0.0, x["hall_id"]))
    return {"at": at, "online": online, "halls": out[:max_halls]}


def _parse(ts: Any) -> datetime | None:
    if not isinstance(ts, str):
        return None
    try:
        t = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def age_minutes(load_at: Any, now: datetime | None) -> int | None:
    """Whole minutes since `load_at` (0 for a time in the future: a hall clock ahead)."""
    t = _parse(load_at)
    if t is None or now is None:
        return None
    return max(0, int((now - t).total_seconds() // 60))


def _fmt_km(km: float) -> str:
    return f"{km:.1f}".rstrip("0").rstrip(".")


def _reason(mode: Mode, item: dict[str, Any], first: bool) -> str:
    km, wait, age = item["distance_km"], item["est_wait_min"], item["age_min"]
    dist = f"距离约{_fmt_km(km)}公里" if km is not None else "距离未知"
    if wait is None:
        waiting = "暂无排队数据"
    elif wait == 0:
        waiting = "目前无需等候"
    else:
        waiting = f"预计等候约{wait}分钟"
    fresh = ""
    if wait is not None and age is not None and age >= 1:
        fresh = f"（{age}分钟前的数据）"
    if mode == "nearest":
        lead = "离您最近，" if first and km is not None else ""
        return f"{lead}{dist}，{waiting}{fresh}"
    if mode == "fastest":
        lead = "等候最短，" if first and wait is not None else ""
        return f"{lead}{waiting}{fresh}，{dist}"
    total = item["score_min"]
    lead = "路程加等候最省时，" if first else ""
    return f"{lead}{dist}，{waiting}{fresh}，合计约{total}分钟"


def rank(
    nearby: dict[str, Any], service: str, mode: Mode, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The halls offering `service`, best first for `mode`.

    Each item: hall_id, name, address, distance_km, waiting, est_wait_min, age_min (minutes
    since the hall's figures; None without figures), score_min (最优办: travel + wait), and a
    Chinese `reason`. `now` defaults to the snapshot's own `at`. Figures older than an hour
    do not count as a waiting time when ranking (they are still shown with their age).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    when = now or _parse(nearby.get("at"))
    items: list[dict[str, Any]] = []
    for h in nearby.get("halls") or []:
        if not isinstance(h, dict) or service not in (h.get("services") or []):
            continue  # a malformed entry is skipped, never takes the screen down
        load = h.get("load")
        fig = (load.get(service) if isinstance(load, dict) else None) or {}
        if not isinstance(fig, dict):
            fig = {}
        age = age_minutes(h.get("load_at"), when) if fig else None
        est = fig.get("est_wait_min") if fig else None
        if isinstance(est, bool) or not isinstance(est, int):
            est = None
        usable = est if est is not None and (age is None or age < STALE_MIN) else None
        km = h.get("distance_km")
        travel = (km / KM_PER_MIN) if isinstance(km, (int, float)) else None
        score = round(
            (travel if travel is not None else 60)
            + (usable if usable is not None else UNKNOWN_WAIT_MIN)
        )
        items.append(
            {
                "hall_id": h.get("hall_id"),
                "name": h.get("name"),
                "address": h.get("address", ""),
                "distance_km": km if isinstance(km, (int, float)) else None,
                "waiting": fig.get("waiting") if fig else None,
                "est_wait_min": est,
                "age_min": age,
                "score_min": score,
                "_usable": usable,
            }
        )

    def by_distance(x: dict[str, Any]) -> tuple[bool, float]:
        return (x["distance_km"] is None, float(x["distance_km"] or 0.0))

    def by_wait(x: dict[str, Any]) -> tuple[bool, int]:
        return (x["_usable"] is None, int(x["_usable"] or 0))

    if mode == "nearest":
        items.sort(key=lambda x: (*by_distance(x), *by_wait(x), str(x["hall_id"])))
    elif mode == "fastest":
        items.sort(key=lambda x: (*by_wait(x), *by_distance(x), str(x["hall_id"])))
    else:
        items.sort(key=lambda x: (x["score_min"], *by_distance(x), str(x["hall_id"])))
    for i, x in enumerate(items):
        del x["_usable"]
        x["reason"] = _reason(mode, x, i == 0)
    return items
