"""Sync's own SQLite file: what the city acked, the appointment cursor, the inbound messages
stored before they are acknowledged, the events the city rejected, the city link's faults,
the directory and the other halls' load. The hall's database is never written by sync.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hall.store.db import open_db

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'new',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS inbox_new ON inbox(state, id);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY, code TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS retained (
    topic TEXT PRIMARY KEY, payload TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    name TEXT PRIMARY KEY, active INTEGER NOT NULL, detail TEXT NOT NULL,
    since REAL NOT NULL, last REAL NOT NULL, count INTEGER NOT NULL
);
"""

REFUSED_KEPT = 1000


@dataclass(frozen=True, slots=True)
class FaultRow:
    """A city-link fault (`sync.faults`): active or past, how often, since and last when."""

    name: str
    active: bool
    detail: str
    since: float
    last: float
    count: int


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    kind: str
    payload: dict[str, Any]
    received_at: float


class SyncState:
    """Thread-safe (one connection, one lock). Every write commits with synchronous=FULL:
    an inbound message is on disk before the broker is told it was received."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        """`readonly`: for what a technician's command reads (status, the doctor), which
        must not create or change the file of the running sync."""
        self.path = Path(path)
        self._lock = threading.RLock()
        if readonly:
            self._conn = open_db(self.path, readonly=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = open_db(self.path)
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    # --- meta -------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        v = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if v is None else str(v)

    def get_int(self, key: str, default: int = 0) -> int:
        v = self.get(key)
        return default if v is None else int(v)

    def set(self, key: str, value: str | int) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    @property
    def acked(self) -> int:
        return self.get_int("acked_through")

    def set_acked(self, value: int) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('acked_through', ?)", (str(value),))
            old = c.execute("SELECT value FROM meta WHERE key = 'acked_max'").fetchone()
            if old is None or int(old[0]) < value:
                c.execute("INSERT OR REPLACE INTO meta VALUES ('acked_max', ?)", (str(value),))

    # --- counters and refusals --------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = n + ?",
                (name, n, n),
            )

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {r[0]: int(r[1]) for r in self._conn.execute("SELECT name, n FROM counters")}

    def refuse(self, kind: str, reason: str, detail: str) -> None:
        """Count and remember (the last REFUSED_KEPT) an inbound message that was refused."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO counters VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET n = n + 1",
                (f"refused_{reason}",),
            )
            c.execute(
                "INSERT INTO refused (at, kind, reason, detail) VALUES (?, ?, ?, ?)",
                (time.time(), kind, reason, detail[:300]),
            )
            c.execute(
                "DELETE FROM refused WHERE id <= (SELECT MAX(id) FROM refused) - ?",
                (REFUSED_KEPT,),
            )

    def refused(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT at, kind, reason, detail FROM refused ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [{"at": r[0], "kind": r[1], "reason": r[2], "detail": r[3]} for r in rows]

    # --- the city link's faults --------------------------------------------------------

    def raise_fault(self, name: str, detail: str, at: float) -> bool:
        """Set a fault active (count it); True when it was not active before."""
        with self._tx() as c:
            row = c.execute("SELECT active FROM faults WHERE name = ?", (name,)).fetchone()
            if row is None:
                c.execute("INSERT INTO faults VALUES (?, 1, ?, ?, ?, 1)", (name, detail, at, at))
                return True
            c.execute(
                "UPDATE faults SET active = 1, detail = ?, last = ?, count = count + 1, "
                "since = CASE WHEN active THEN since ELSE ? END WHERE name = ?",
                (detail, at, at, name),
            )
            return not row[0]

    def clear_fault(self, name: str) -> bool:
        """Clear a fault (its history stays); True when it was active."""
        with self._tx() as c:
            cur = c.execute("UPDATE faults SET active = 0 WHERE name = ? AND active", (name,))
            return cur.rowcount > 0

    def faults(self) -> list[FaultRow]:
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT name, active, detail, since, last, count FROM faults ORDER BY name"
                ).fetchall()
            except sqlite3.OperationalError:  # read-only, a file from before faults were kept
                return []
        return [FaultRow(r[0], bool(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # --- rejected events --------------------------------------------------------------

    def add_rejected(self, items: list[dict[str, Any]]) -> int:
        """Store the city's rejections; returns how many were new."""
        if not items:
            return 0
        now = time.time()
        with self._tx() as c:
            before = c.total_changes
            c.executemany(
                "INSERT OR IGNORE INTO rejected VALUES (?, ?, ?, ?)",
                [
                    (int(x["seq"]), str(x["code"]), str(x.get("reason", ""))[:500], now)
                    for x in items
                ],
            )
            return c.total_changes - before

    def rejected(self, limit: int = 1000) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, code, reason, at FROM rejected ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [{"seq": r[0], "code": r[1], "reason": r[2], "at": r[3]} for r in rows]

    # --- inbox ------------------------------------------------------------------------

    def put_inbox(self, kind: str, payload: dict[str, Any], **meta: str) -> int:
        """Store an inbound message (and set meta keys) in one transaction."""
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO inbox (kind, payload, received_at) VALUES (?, ?, ?)",
                (kind, text, time.time()),
            )
            for k, v in meta.items():
                c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))
            return int(cur.lastrowid or 0)

    def next_inbox(self) -> InboxItem | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, kind, payload, received_at FROM inbox WHERE state = 'new' "
                "ORDER BY id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return InboxItem(int(row[0]), str(row[1]), json.loads(row[2]), float(row[3]))

    def finish_inbox(
        self,
        item_id: int,
        state: str = "done",
        note: str = "",
        meta: dict[str, str | int] | None = None,
    ) -> None:
        """Mark an inbound message handled and set meta keys in the same transaction."""
        with self._tx() as c:
            c.execute("UPDATE inbox SET state = ?, note = ? WHERE id = ?", (state, note, item_id))
            for k, v in (meta or {}).items():
                c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, str(v)))

    def pending_inbox(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM inbox WHERE state = 'new'") or 0)

    def prune_inbox(self, older_than_s: float = 30 * 86400) -> None:
        with self._tx() as c:
            c.execute(
                "DELETE FROM inbox WHERE state != 'new' AND received_at < ?",
                (time.time() - older_than_s,),
            )

    # --- retained city data (directory, other halls' load, cloud status) --------------

    def put_retained(self, topic: str, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with self._tx() as c:
            c.execute(
                "INSERT OR REPLACE INTO retained VALUES (?, ?, ?)", (topic, text, time.time())
            )

    def put_retained_many(self, items: dict[str, dict[str, Any]], at: float) -> None:
        rows = [
            (t, json.dumps(v, ensure_ascii=False, separators=(",", ":")), at)
            for t, v in items.items()
        ]
        with self._tx() as c:
            c.executemany("INSERT OR REPLACE INTO retained VALUES (?, ?, ?)", rows)

    def retained_at(self) -> float | None:
        v = self._one("SELECT MAX(at) FROM retained WHERE topic != ?", ("cityq/v1/cloud/status",))
        return None if v is None else float(v)

    def retained(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT topic, payload FROM retained WHERE substr(topic, 1, ?) = ?",
                (len(prefix), prefix),
            ).fetchall()
        return {str(r[0]): json.loads(r[1]) for r in rows}
