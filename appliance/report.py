"""The day's figures for the hall manager: CSV files and one PNG chart.

Everything is read from the tables the event log made, through the store's read side
(`hall.store.read.HallReader`, which reads them with sqlite-utils); times are the hall's
local time.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hall.store.read import HallReader


@dataclass
class DayReport:
    day: date
    services: list[dict[str, Any]] = field(default_factory=list)
    hours: list[dict[str, Any]] = field(default_factory=list)
    counters: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def build(reader: HallReader, day: date, tz: ZoneInfo) -> DayReport:
    rows = reader.tickets_of_day(day)
    catalog = reader.catalog()
    names = catalog.names() if catalog else {}
    ratings = {r.ticket_id: r for r in reader.evaluations_of_day(day)}
    rep = DayReport(day=day)
    by_service: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    by_hour: dict[tuple[int, str], int] = defaultdict(int)
    by_counter: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    by_staff: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    for t in rows:
        s = by_service[t.service]
        s["issued"].append(1)
        hour = datetime.fromtimestamp(t.issued_at, tz).hour
        by_hour[(hour, t.service)] += 1
        if t.first_called_at is not None:
            s["wait"].append((t.first_called_at - t.issued_at) / 60)
        if t.state == "skipped":
            s["no_show"].append(1)
        if t.state == "cancelled":
            s["cancelled"].append(1)
        if t.state == "finished" and t.finished_at is not None:
            began = t.started_at or t.called_at
            svc_min = (t.finished_at - began) / 60 if began else None
            s["finished"].append(1)
            if svc_min is not None:
                s["service"].append(svc_min)
            for key, bucket in ((t.counter, by_counter), (t.staff, by_staff)):
                if key:
                    b = bucket[key]
                    b["finished"].append(1)
                    if svc_min is not None:
                        b["service"].append(svc_min)
        ev = ratings.get(t.id)
        if ev is not None and ev.rating is not None:
            s["rating"].append(ev.rating)
            by_counter[ev.counter]["rating"].append(ev.rating)
            if ev.staff:
                by_staff[ev.staff]["rating"].append(ev.rating)
    for code, s in sorted(by_service.items()):
        rep.services.append(
            {
                "service": code,
                "name": names.get(code, ""),
                "issued": len(s["issued"]),
                "finished": len(s["finished"]),
                "no_shows": len(s["no_show"]),
                "cancelled": len(s["cancelled"]),
                "mean_wait_min": _mean(s["wait"]),
                "p90_wait_min": round(p, 2) if (p := _p90(s["wait"])) is not None else None,
                "mean_service_min": _mean(s["service"]),
                "ratings": len(s["rating"]),
                "mean_rating": _mean(s["rating"]),
            }
        )
    for (hour, code), n in sorted(by_hour.items()):
        rep.hours.append({"hour": f"{hour:02d}:00", "service": code, "issued": n})
    for key, bucket, out in (("counter", by_counter, rep.counters), ("staff", by_staff, rep.staff)):
        for k, b in sorted(bucket.items()):
            out.append(
                {
                    key: k,
                    "finished": len(b["finished"]),
                    "mean_service_min": _mean(b["service"]),
                    "ratings": len(b["rating"]),
                    "mean_rating": _mean(b["rating"]),
                }
            )
    waits = [w for s in by_service.values() for w in s["wait"]]
    rep.totals = {
        "day": day.isoformat(),
        "issued": len(rows),
        "finished": sum(len(s["finished"]) for s in by_service.values()),
        "no_shows": sum(len(s["no_show"]) for s in by_service.values()),
        "mean_wait_min": _mean(waits),
    }
    return rep


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:  # BOM: Excel reads the hanzi
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def write(rep: DayReport, out_dir: Path, hall_name: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"day-{rep.day.isoformat()}"
    files = []
    specs = (
        (
            "services",
            rep.services,
            [
                "service",
                "name",
                "issued",
                "finished",
                "no_shows",
                "cancelled",
                "mean_wait_min",
                "p90_wait_min",
                "mean_service_min",
                "ratings",
                "mean_rating",
            ],
        ),
        ("hours", rep.hours, ["hour", "service", "issued"]),
        (
            "counters",
            rep.counters,
            ["counter", "finished", "mean_service_min", "ratings", "mean_rating"],
        ),
        ("staff", rep.staff, ["staff", "finished", "mean_service_min", "ratings", "mean_rating"]),
    )
    for name, rows, header in specs:
        p = out_dir / f"{stem}-{name}.csv"
        _write_csv(p, rows, header)
        files.append(p)
    png = out_dir / f"{stem}.png"
    chart(rep, png, hall_name)
    files.append(png)
    return files


def chart(rep: DayReport, path: Path, hall_name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name]
    if cjk:
        plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    hours = sorted({h["hour"] for h in rep.hours})
    services = sorted({h["service"] for h in rep.hours})
    bottom = [0] * len(hours)
    for code in services:
        vals = [
            sum(h["issued"] for h in rep.hours if h["hour"] == hr and h["service"] == code)
            for hr in hours
        ]
        ax1.bar(hours, vals, bottom=bottom, label=code)
        bottom = [a + b for a, b in zip(bottom, vals, strict=True)]
    ax1.set_title("取号量 / tickets per hour")
    ax1.tick_params(axis="x", rotation=45)
    if services:
        ax1.legend(fontsize=7, ncol=2)
    codes = [s["service"] for s in rep.services]
    ax2.bar(codes, [s["mean_wait_min"] or 0 for s in rep.services], label="mean")
    ax2.plot(codes, [s["p90_wait_min"] or 0 for s in rep.services], "ro", label="p90")
    ax2.set_title("等候时间（分钟）/ waiting minutes")
    ax2.tick_params(axis="x", rotation=45)
    ax2.legend()
    t = rep.totals
    fig.suptitle(
        f"{hall_name}  {rep.day.isoformat()}  取号 {t['issued']}  办结 {t['finished']}"
        f"  过号 {t['no_shows']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
