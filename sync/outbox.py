"""The hall's event log as sync's outbox, read-only.

The hub is the one writer of the hall's database; sync opens it with `mode=ro` and only
reads `events` (and `devices` for health). Batches are built from the stored JSON text
without parsing it, under the contract's limits (500 events, 256 KiB).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_HEAD = '{"v":1,"hall_id":%s,"first_seq":%d,"last_seq":%d,"events":['
_TAIL = "]}"


class OutboxUnavailable(Exception):
    """The hall's database cannot be read right now (missing, locked, not a hall database)."""


@dataclass(frozen=True, slots=True)
class Batch:
    first: int
    last: int
    count: int
    data: bytes  # the encoded `{h}/up/events` payload


def event_json(seq: int, eid: str, etype: str, at: str, data: str) -> str:
    return (
        f'{{"seq":{seq},"id":{json.dumps(eid)},"type":{json.dumps(etype)},'
        f'"at":{json.dumps(at)},"data":{data}}}'
    )


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.path.exists():
                raise OutboxUnavailable(f"{self.path} does not exist (is the hub set up?)")
            try:
                conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, timeout=5.0
                )
                conn.execute("PRAGMA busy_timeout=5000")
                conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                raise OutboxUnavailable(f"{self.path}: {exc}") from None
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            self.close()
            raise OutboxUnavailable(f"{self.path}: {exc}") from None

    def max_seq(self) -> int:
        row = self._query("SELECT MAX(seq) FROM events")
        return int(row[0][0] or 0)

    def hall_id(self) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'hall_id'")
        return str(rows[0][0]) if rows else None

    def events(self, first: int, last: int) -> list[dict[str, Any]]:
        """Events first..last as dicts (tests and tools; batches use `batch`)."""
        rows = self._query(
            "SELECT seq, id, type, at, data FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first, last),
        )
        return [
            {"seq": r[0], "id": r[1], "type": r[2], "at": r[3], "data": json.loads(r[4])}
            for r in rows
        ]

    def batch(
        self, hall_id: str, first: int, last: int, *, max_events: int, max_bytes: int
    ) -> Batch | None:
        """The batch starting at `first`, up to `last`, within the limits; None when empty."""
        if last < first:
            return None
        limit = min(max_events, last - first + 1)
        rows = self._query(
            "SELECT seq, id, type, at, data FROM events WHERE seq >= ? AND seq <= ? "
            "ORDER BY seq LIMIT ?",
            (first, last, limit),
        )
        if not rows:
            return None
        hid = json.dumps(hall_id)
        parts: list[str] = []
        size = len((_HEAD % (hid, 0, 0)).encode()) + 40  # room for the two seq numbers
        end = rows[0][0]
        for seq, eid, etype, at, data in rows:
            text = event_json(seq, eid, etype, at, data)
            n = len(text.encode("utf-8")) + 1
            if parts and size + n > max_bytes:
                break
            if size + n > max_bytes:  # one event alone over the limit: send a stub
                log.error("event %d is %d bytes, over the batch limit: sending a stub", seq, n)
                text = event_json(seq, eid, etype, at, json.dumps({"oversized": n}))
                n = len(text.encode("utf-8")) + 1
            parts.append(text)
            size += n
            end = seq
        start = rows[0][0]
        body = (_HEAD % (hid, start, end)) + ",".join(parts) + _TAIL
        return Batch(start, end, len(parts), body.encode("utf-8"))

    def devices(self) -> list[dict[str, Any]]:
        try:
            rows = self._query("SELECT device, kind, ok, state, at FROM devices ORDER BY device")
        except OutboxUnavailable:
            return []
        return [
            {"device": r[0], "kind": r[1], "ok": bool(r[2]), "state": r[3], "at": r[4]}
            for r in rows
        ]
