"""Queue core latency on a file database with synchronous=FULL, beside a bare sqlite3 loop.

Prints issue / call / finish p50 and p99, sustained tickets per second (issue, and a call
and a finish for every third ticket), and the bare one-row-per-transaction insert on the
same disk in the same run, interleaved with the core's commands; the ratio is the figure
the issue asks for (target: issue ≤ 2× the bare insert). Run: python bench/core_latency.py
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hall.core import commands as c  # noqa: E402
from hall.core.rules import Rules  # noqa: E402
from hall.core.timekeeping import FixedClock  # noqa: E402
from hall.store.store import HallStore  # noqa: E402
from tests.conftest import CATALOG, COUNTERS, HALL_ID, TZ, at  # noqa: E402


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000


def bare_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT)")
    return conn


def bare_insert(conn: sqlite3.Connection, i: int) -> float:
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t (data) VALUES (?)", (f"row {i}",))
    conn.execute("COMMIT")
    return time.perf_counter() - t0


def bare_alone(path: Path, n: int) -> list[float]:
    conn = bare_conn(path)
    out = [bare_insert(conn, i) for i in range(n)]
    conn.close()
    return out


def run(folder: Path, n: int) -> tuple[dict[str, list[float]], float]:
    """The core and the bare loop interleaved, one bare insert before each issue, so both
    see the same disk and the same neighbours (the machines are shared)."""
    clock = FixedClock(at("09:00"))
    store = HallStore(folder / "hall.db", hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=clock)
    catalog = {**CATALOG, "services": [{**x, "daily_quota": 0} for x in CATALOG["services"]]}
    store.setup(catalog, COUNTERS)
    store.execute(c.SignIn("1", "1001"))
    conn = bare_conn(folder / "bare.db")
    times: dict[str, list[float]] = {"bare": [], "issue": [], "call": [], "finish": []}
    services = ["SB-001", "SB-002"]
    core_s = 0.0
    for i in range(n):
        times["bare"].append(bare_insert(conn, i))
        clock.advance(1)
        t0 = time.perf_counter()
        store.execute(c.IssueTicket(services[i % 2]))
        times["issue"].append(time.perf_counter() - t0)
        if i % 3 == 2:  # keep a realistic queue of waiting tickets
            t1 = time.perf_counter()
            store.execute(c.CallNext("1"))
            times["call"].append(time.perf_counter() - t1)
            t1 = time.perf_counter()
            store.execute(c.Finish("1"))
            times["finish"].append(time.perf_counter() - t1)
        core_s += time.perf_counter() - t0
    store.close()
    conn.close()
    return times, core_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1500, help="tickets (a county hall's day)")
    ap.add_argument("--dir", default=None, help="folder on the disk to measure")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        alone = bare_alone(Path(d) / "before.db", args.n)
        k, core_s = run(Path(d), args.n)
        alone += bare_alone(Path(d) / "after.db", args.n)
    bare_all = k.pop("bare")
    res = {
        "bare_insert_ms": {"p50": round(pct(bare_all, 50), 3), "p99": round(pct(bare_all, 99), 3)},
        **{
            f"{k_}_ms": {"p50": round(pct(v, 50), 3), "p99": round(pct(v, 99), 3)}
            for k_, v in k.items()
        },
        "tickets_per_second": round(args.n / core_s, 1),
        "issue_vs_bare_p50": round(pct(k["issue"], 50) / pct(bare_all, 50), 2),
        "issue_vs_bare_p99": round(pct(k["issue"], 99) / pct(bare_all, 99), 2),
        # The bare loop run alone, before and after (no interleaving): a second baseline.
        "bare_alone_ms": {"p50": round(pct(alone, 50), 3), "p99": round(pct(alone, 99), 3)},
        "issue_vs_bare_alone_p50": round(pct(k["issue"], 50) / pct(alone, 50), 2),
        "sustained_vs_bare": round((core_s / args.n) / statistics.fmean(bare_all), 2),
    }
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
