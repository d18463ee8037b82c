"""Rebuilding the tables from the event log, to check them or to repair them."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hall.store.schema import PROJECTION_TABLES, migrate
from hall.store.store import HallStore, connect, rebuild


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {table}"))


def table_differences(a: sqlite3.Connection, b: sqlite3.Connection) -> list[str]:
    diffs = []
    for table in PROJECTION_TABLES:
        ra, rb = _rows(a, table), _rows(b, table)
        if ra != rb:
            only_a = [r for r in ra if r not in rb][:3]
            only_b = [r for r in rb if r not in ra][:3]
            diffs.append(
                f"{table}: live has {len(ra)} rows, rebuilt {len(rb)}; "
                f"live only {only_a}; rebuilt only {only_b}"
            )
    return diffs


def rebuilt_copy(store: HallStore, path: Path) -> sqlite3.Connection:
    conn = connect(path)
    migrate(conn)
    rebuild(store.iter_events(), conn, hall_id=store.hall_id, tz=store.tz, rules=store.rules)
    return conn


def compare_with_rebuild(store: HallStore) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        conn = rebuilt_copy(store, Path(d) / "rebuilt.db")
        try:
            return table_differences(store.conn, conn)
        finally:
            conn.close()


def replace_tables(store: HallStore) -> None:
    """Replace the live tables with ones rebuilt from the log, in one transaction."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rebuilt.db"
        rebuilt_copy(store, path).close()
        conn = store.conn
        conn.execute("ATTACH DATABASE ? AS rebuilt", (str(path),))
        try:
            conn.execute("BEGIN IMMEDIATE")
            for table in PROJECTION_TABLES:
                conn.execute(f"DELETE FROM main.{table}")
                conn.execute(f"INSERT INTO main.{table} SELECT * FROM rebuilt.{table}")
            conn.execute("COMMIT")
        finally:
            conn.execute("DETACH DATABASE rebuilt")
    store.state = store._load()
