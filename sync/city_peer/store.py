"""The city peer's SQLite: each hall's events in seq order (with their `h`), appointments with
their change cursor, what each hall reported. One connection, one lock, WAL +
synchronous=FULL (stored before acknowledged)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hall.store.db import open_db

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    hall_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
    at TEXT NOT NULL, data TEXT NOT NULL, h TEXT, received_at REAL NOT NULL,
    PRIMARY KEY (hall_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS halls (
    hall_id TEXT PRIMARY KEY, acked_through INTEGER NOT NULL DEFAULT 0,
    cursor INTEGER NOT NULL DEFAULT 0, status TEXT, config_reported TEXT, load TEXT,
    health TEXT, seen_at REAL, last_h TEXT, chain_breaks INTEGER NOT NULL DEFAULT 0,
    gap_batches INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rejected (
    hall_id TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (hall_id, seq)
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
    change TEXT NOT NULL, settled TEXT, ticket TEXT
);
CREATE TABLE IF NOT EXISTS changes (
    hall_id TEXT NOT NULL, cursor INTEGER NOT NULL, change TEXT NOT NULL,
    PRIMARY KEY (hall_id, cursor)
);
CREATE TABLE IF NOT EXISTS catalogs (hall_id TEXT PRIMARY KEY, version INTEGER, services TEXT);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hall_id TEXT NOT NULL, payload TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

_ADDED = (
    ("events", "h", "TEXT"),
    ("halls", "last_h", "TEXT"),
    ("halls", "chain_breaks", "INTEGER NOT NULL DEFAULT 0"),
    ("halls", "gap_batches", "INTEGER NOT NULL DEFAULT 0"),
)


class CityStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.conn = open_db(self.path)
        self.conn.executescript(_SCHEMA)
        self._add_columns()

    def _add_columns(self) -> None:
        """A peer database from before v1.1 (no `h`, no chain figures) gets the columns."""
        for table, column, decl in _ADDED:
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    @staticmethod
    def count(name: str, n: int, c: sqlite3.Connection) -> None:
        """Add `n` to a counter, inside the caller's transaction."""
        c.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = n + ?",
            (name, n, n),
        )

    def bump(self, name: str, n: int = 1) -> None:
        with self.tx() as c:
            self.count(name, n, c)

    def counters(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.query("SELECT name, n FROM counters")}

    @staticmethod
    def ensure_hall(c: sqlite3.Connection, hall_id: str) -> None:
        c.execute("INSERT OR IGNORE INTO halls (hall_id) VALUES (?)", (hall_id,))

    @staticmethod
    def acked_in(c: sqlite3.Connection, hall_id: str) -> int:
        """The hall's `acked_through`, inside the caller's transaction."""
        row = c.execute("SELECT acked_through FROM halls WHERE hall_id = ?", (hall_id,)).fetchone()
        return int(row[0]) if row else 0

    def acked_all(self) -> dict[str, int]:
        """Every hall's `acked_through` (the simulator's count)."""
        return {str(h): int(a) for h, a in self.query("SELECT hall_id, acked_through FROM halls")}

    def event_counts(self) -> dict[str, tuple[int, int, int]]:
        """Per hall: (events stored, lowest seq, highest seq): with `acked_through`, what
        tells lost (a seq missing) from stored twice (more rows than seqs; the primary key
        forbids it, the count proves it)."""
        rows = self.query(
            "SELECT hall_id, COUNT(*), MIN(seq), MAX(seq) FROM events GROUP BY hall_id"
        )
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    def hall(self, hall_id: str) -> dict[str, Any]:
        """What the city holds of a hall: its acked_through and appointment cursor, its
        reports, and how its events arrived (chain breaks, batches past a gap)."""
        rows = self.query(
            "SELECT acked_through, cursor, status, config_reported, load, health, seen_at, "
            "chain_breaks, gap_batches FROM halls WHERE hall_id = ?",
            (hall_id,),
        )
        if not rows:
            return {
                "hall_id": hall_id,
                "acked_through": 0,
                "cursor": 0,
                "chain_breaks": 0,
                "gap_batches": 0,
            }
        r = rows[0]
        out: dict[str, Any] = {"hall_id": hall_id, "acked_through": r[0], "cursor": r[1]}
        for name, value in zip(
            ("status", "config_reported", "load", "health"), r[2:6], strict=True
        ):
            out[name] = json.loads(value) if value else None
        out["seen_at"] = r[6]
        out["chain_breaks"] = r[7]
        out["gap_batches"] = r[8]
        return out

    def set_report(self, hall_id: str, column: str, payload: dict[str, Any]) -> None:
        assert column in ("status", "config_reported", "load", "health")
        with self.tx() as c:
            self.ensure_hall(c, hall_id)
            c.execute(
                f"UPDATE halls SET {column} = ?, seen_at = ? WHERE hall_id = ?",
                (json.dumps(payload, ensure_ascii=False), time.time(), hall_id),
            )

    def events(self, hall_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT seq, id, type, at, data, h, received_at FROM events WHERE hall_id = ? "
            "ORDER BY seq",
            (hall_id,),
        )
        return [
            {
                "seq": r[0],
                "id": r[1],
                "type": r[2],
                "at": r[3],
                "data": json.loads(r[4]),
                "h": r[5],
                "received_at": r[6],
            }
            for r in rows
        ]

    def event_count(self, hall_id: str) -> int:
        return int(self.query("SELECT COUNT(*) FROM events WHERE hall_id = ?", (hall_id,))[0][0])

    def rejected(self, hall_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT seq, code, reason FROM rejected WHERE hall_id = ? ORDER BY seq", (hall_id,)
        )
        return [{"seq": r[0], "code": r[1], "reason": r[2]} for r in rows]

    def appointment(self, appt_id: str) -> dict[str, Any] | None:
        rows = self.query(
            "SELECT hall_id, version, status, change, settled, ticket FROM appointments "
            "WHERE id = ?",
            (appt_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return {
            "id": appt_id,
            "hall_id": r[0],
            "version": r[1],
            "status": r[2],
            "change": json.loads(r[3]),
            "settled": r[4],
            "ticket": r[5],
        }

    def appointments(self, hall_id: str) -> list[dict[str, Any]]:
        ids = self.query("SELECT id FROM appointments WHERE hall_id = ? ORDER BY id", (hall_id,))
        return [a for (i,) in ids if (a := self.appointment(i)) is not None]

    def results(self, hall_id: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT payload FROM results WHERE hall_id = ? ORDER BY id", (hall_id,))
        return [json.loads(r[0]) for r in rows]
