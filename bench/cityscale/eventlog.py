"""Each simulated hall's event log: a real hall database (the hub's schema, read by sync's
real `Outbox`), made from one template file and filled directly (no hub), events chained
with `h` as a hall of contract v1.1 sends them.

Hall mix of one city (about 3,000 appliances): 2 % county and city halls (~1,500 tickets a
day), 10 % township halls (~300), 88 % village/community stations and bank outlets (~30).
A ticket makes ~4.3 events (issued, called, started, finished, an evaluation for 30 %) over
an 8-hour working day.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from hall.core import chain
from hall.store.db import open_db
from hall.store.schema import migrate

EVENTS_PER_TICKET = 4.3
DAY_S = 8 * 3600
KINDS = (("county", 1500, 0.02), ("township", 300, 0.10), ("village", 30, 0.88))
_TYPES = ("ticket.issued", "ticket.called", "ticket.started", "ticket.finished")
_CANON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_STR = json.encoder.encode_basestring


@dataclass(frozen=True, slots=True)
class HallSpec:
    hall_id: str
    kind: str
    tickets_per_day: int

    @property
    def events_per_s(self) -> float:
        return self.tickets_per_day * EVENTS_PER_TICKET / DAY_S


def city_mix(n: int, seed: int = 19) -> list[HallSpec]:
    """`n` halls in the city's mix (at least one county hall), ids `410411-Cnnnnn`."""
    rng = random.Random(seed)
    out: list[HallSpec] = []
    for i in range(n):
        r, kind, tpd = rng.random(), "village", 30
        acc = 0.0
        for k, t, share in KINDS:
            acc += share
            if r < acc:
                kind, tpd = k, t
                break
        if i == 0:
            kind, tpd = "county", 1500
        out.append(HallSpec(f"4104{i // 100000:02d}-C{i % 100000:05d}", kind, tpd))
    return out


def template(folder: Path) -> Path:
    """An empty hall database of this software's schema."""
    path = folder / "template.db"
    if not path.exists():
        conn = open_db(path)
        migrate(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return path


class EventLog:
    """One hall's log: `append(n)` writes the next `n` events (seq order, `h` chained)."""

    def __init__(self, spec: HallSpec, folder: Path, tmpl: Path) -> None:
        self.spec = spec
        self.path = folder / f"{spec.hall_id}.db"
        if not self.path.exists():
            shutil.copyfile(tmpl, self.path)
        conn = self._open()
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('hall_id', ?)", (spec.hall_id,))
        row = conn.execute("SELECT seq, h FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        conn.close()
        self.head = int(row[0]) if row else 0
        self._h = str(row[1]) if row and row[1] else chain.GENESIS

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")  # the hub's fsyncs are not what is measured
        return conn

    def append(self, n: int, *, at: float | None = None) -> tuple[int, int]:
        """Write `n` events; (first seq, last seq)."""
        if n <= 0:
            return self.head + 1, self.head
        ts = time.time() if at is None else at
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(ts)) + ".000+08:00"
        rows = []
        h = self._h
        for i in range(n):
            seq = self.head + 1 + i
            eid = uuid.uuid4().hex
            kind = _TYPES[seq % 4]
            data = {
                "ticket_id": f"t{seq // 4}",
                "number": f"A{seq // 4 % 1000:03d}",
                "service": "SB-001",
                "counter": "1",
            }
            dtext = _CANON.encode(data)
            body = (
                f'{{"at":{_STR(stamp)},"data":{dtext},"id":{_STR(eid)},'
                f'"seq":{seq},"type":{_STR(kind)}}}'
            )
            h = hashlib.sha256((h + body).encode()).hexdigest()
            rows.append((seq, eid, kind, stamp, ts, dtext, h))
        conn = self._open()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (seq, id, type, at, ts, data, h) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        conn.close()
        self._h = h
        first, self.head = self.head + 1, self.head + n
        return first, self.head

    def ids(self) -> list[str]:
        conn = self._open()
        rows = conn.execute("SELECT id FROM events ORDER BY seq").fetchall()
        conn.close()
        return [str(r[0]) for r in rows]
