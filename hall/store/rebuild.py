"""Rebuilding the tables from the event log, to check them or to repair them.

A log row that cannot be read or replayed (an event edited inside the file) is named by
its seq (`UnreadableLog`), never a traceback: `hall rebuild --check` reports it, and the
tables are not replaced from a log that cannot be trusted (`hall audit verify`)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hall.core import events as ev
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


class UnreadableLog(ValueError):
    """An event of the log cannot be read or replayed; the message names its seq."""


def _replay(store: HallStore, upto: int | None) -> Iterator[ev.Event]:
    try:
        for e in store.iter_events():
            if upto is not None and e.seq > upto:
                return
            yield e
    except ValueError as exc:  # event_from_row names the seq
        raise UnreadableLog(str(exc)) from None


def projected_seq(conn: sqlite3.Connection) -> int | None:
    """Up to which event the tables of this database go (None: no hall row, or to the end)."""
    row = conn.execute("SELECT projected_seq FROM hall WHERE id = 1").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def rebuilt_copy(store: HallStore, path: Path, upto: int | None = None) -> sqlite3.Connection:
    """A database whose tables are a replay of the store's log (up to seq `upto`)."""
    conn = connect(path)
    migrate(conn)
    seq = 0

    def counted() -> Iterator[ev.Event]:
        nonlocal seq
        for e in _replay(store, upto):
            seq = e.seq
            yield e

    try:
        rebuild(counted(), conn, hall_id=store.hall_id, tz=store.tz, rules=store.rules)
    except UnreadableLog:
        conn.close()
        raise
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        conn.close()
        raise UnreadableLog(
            f"event seq {seq} cannot be replayed ({type(exc).__name__}: {exc}): "
            "the log was changed (`hall audit verify`)"
        ) from None
    return conn


def compare_with_rebuild(store: HallStore) -> list[str]:
    """The differences between the live tables and a replay of the log up to the event the
    tables go to (`projected_seq`: hall/store/projection.py) ([]: they match); an unreadable
    log is one difference naming the event."""
    upto = projected_seq(store.conn)
    with tempfile.TemporaryDirectory() as d:
        try:
            if upto is None:  # nothing was ever written to the tables: they must be empty
                conn = connect(Path(d) / "empty.db")
                migrate(conn)
            else:
                conn = rebuilt_copy(store, Path(d) / "rebuilt.db", upto)
        except UnreadableLog as exc:
            return [f"log: {exc}"]
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
