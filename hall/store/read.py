"""The read side of the hall's database: the only code outside the writer that knows its
tables.

Sync's outbox, the day report, the doctor and `hall events` read the hub's database through
`HallReader`, over a read-only connection (`hall.store.db.open_db(readonly=True)`), and get
typed rows back. Its queries are written for this software's schema (`schema.SCHEMA_VERSION`):
a database of another version is refused when it is opened, in one line that says what to
do, so a migration can never silently change what sync sends to the city.
`tests/store/test_read.py` runs every query on a freshly migrated database.

The report's queries go through sqlite-utils (rows as dicts, imported only when a report is
made); the hot paths (the outbox's batches) use sqlite3 directly.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from hall.store.db import StoreError, open_db
from hall.store.schema import PROJECTION_TABLES, SCHEMA_VERSION, SchemaError

LOG_TABLES = ("events", "idempotency", "meta")
"""The tables that are not projections of the log."""


class DatabaseMissing(StoreError):
    """There is no database file (yet) at the path."""


UNREADABLE: tuple[type[Exception], ...] = (sqlite3.Error, StoreError, SchemaError)
"""What opening or reading through `HallReader` may raise when the database is unusable."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as stored; `data` is the stored JSON text, not parsed."""

    seq: int
    id: str
    type: str
    at: str
    ts: float
    data: str
    h: str = ""  # the hash chain (hall/core/chain.py)

    def wire(self) -> dict[str, Any]:
        """The contract's event object (`contracts/city-cloud.md`), with `h`."""
        data = json.loads(self.data)
        out = {"seq": self.seq, "id": self.id, "type": self.type, "at": self.at, "data": data}
        if self.h:
            out["h"] = self.h
        return out

    def wire_json(self, data: str | None = None) -> str:
        """The same as JSON text, built without parsing `data` (or with `data` instead)."""
        h = f',"h":"{self.h}"' if self.h else ""
        return (
            f'{{"seq":{self.seq},"id":{json.dumps(self.id)},"type":{json.dumps(self.type)},'
            f'"at":{json.dumps(self.at)},"data":{self.data if data is None else data}{h}}}'
        )


@dataclass(frozen=True, slots=True)
class LogHead:
    """The end of the event log: its last seq and hall time (0 and None when empty)."""

    last_seq: int
    last_ts: float | None


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: str
    number: str
    day: str
    prefix: str
    serial: int
    service: str
    source: str
    priority: str
    state: str
    issued_seq: int
    issued_at: float
    appointment_id: str | None
    counter: str | None
    staff: str | None
    calls: int
    first_called_at: float | None
    called_at: float | None
    started_at: float | None
    finished_at: float | None
    transfers: int


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    ticket_id: str
    number: str
    counter: str
    staff: str | None
    rating: int | None
    at: float


@dataclass(frozen=True, slots=True)
class CounterRow:
    id: str
    name: str
    services: tuple[str, ...]
    state: str
    staff: str | None
    current: str | None
    held: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device: str
    kind: str
    ok: bool
    state: str
    detail: str
    at: float


@dataclass(frozen=True, slots=True)
class CatalogRow:
    version: int
    services: tuple[dict[str, Any], ...]  # the contract's service objects

    def names(self) -> dict[str, str]:
        return {str(s["code"]): str(s.get("name", "")) for s in self.services}


_TICKET_COLUMNS = tuple(TicketRow.__dataclass_fields__)
_EVENT_COLUMNS = "seq, id, type, at, ts, data, h"


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_schema(version: int, path: str | Path) -> None:
    """Refuse a database this software's queries were not written for."""
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"{path} has schema version {version}, newer than this software reads "
            f"({SCHEMA_VERSION}): install the newer software on this box too"
        )
    if version == 0:
        raise SchemaError(f"{path} is not a hall database (no schema): `hall init` makes one")
    raise SchemaError(
        f"{path} has schema version {version}, older than this software reads "
        f"({SCHEMA_VERSION}): the hub migrates it when it starts (or `hall migrate`)"
    )


class HallReader:
    """Read-only, typed access to the hall's database.

    `HallReader.open(path)` refuses a missing file (`DatabaseMissing`), a file SQLite cannot
    read (`StoreError`) and a schema other than this software's (`SchemaError`); with
    `current_schema=False` it opens any version, for the doctor, which then may call only
    `schema_version` and `quick_check` before `require_current_schema()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.schema_version = schema_version(conn)

    @classmethod
    def open(
        cls, path: str | Path, *, timeout: float = 5.0, current_schema: bool = True
    ) -> HallReader:
        path = Path(path)
        if not path.exists():
            raise DatabaseMissing(f"{path} does not exist")
        try:
            conn = open_db(path, readonly=True, timeout=timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: {exc}") from None
        try:
            reader = cls(conn, path)
            if current_schema:
                reader.require_current_schema()
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{path}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return reader

    def require_current_schema(self) -> None:
        check_schema(self.schema_version, self.path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HallReader:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the file ---------------------------------------------------------------------------

    def quick_check(self, problems: int = 3) -> str:
        """SQLite's `PRAGMA quick_check`: "ok", or the first few things that are damaged."""
        rows = self.conn.execute(f"PRAGMA quick_check({int(problems)})").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def row_counts(self) -> dict[str, int]:
        """Rows in each of the hall's tables (the log's and the projections)."""
        return {
            t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in (*LOG_TABLES, *PROJECTION_TABLES)
        }

    # --- meta and the log -------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def hall_id(self) -> str | None:
        return self.meta("hall_id")

    def log_head(self) -> LogHead:
        row = self.conn.execute("SELECT max(seq), max(ts) FROM events").fetchone()
        return LogHead(int(row[0] or 0), None if row[1] is None else float(row[1]))

    def last_seq(self) -> int:
        """The log's last seq (0 when empty): one look at the primary key whatever the log's
        length (`log_head` reads every event's time too). Sync asks it many times a second."""
        row = self.conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def events_after(self, after_seq: int, limit: int | None = None) -> list[EventRow]:
        """Events with seq > `after_seq`, in order, at most `limit`."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        rows = self.conn.execute(sql, (after_seq, -1 if limit is None else limit))
        return [_event(r) for r in rows]

    def events_between(self, first: int, last: int, limit: int | None = None) -> list[EventRow]:
        """Events first..last (both included), in order, at most `limit`."""
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?"
        )
        rows = self.conn.execute(sql, (first, last, -1 if limit is None else limit))
        return [_event(r) for r in rows]

    def iter_events(self, after_seq: int = 0, batch: int = 5000) -> Iterator[EventRow]:
        """The whole log after `after_seq`, read in batches."""
        while True:
            chunk = self.events_after(after_seq, batch)
            if not chunk:
                return
            yield from chunk
            after_seq = chunk[-1].seq

    # --- the tables the events made ---------------------------------------------------------

    def counters(self) -> list[CounterRow]:
        rows = self.conn.execute(
            "SELECT id, name, services, state, staff, current, held FROM counters ORDER BY pos"
        )
        return [
            CounterRow(
                id=str(r["id"]),
                name=str(r["name"]),
                services=tuple(json.loads(r["services"])),
                state=str(r["state"]),
                staff=r["staff"],
                current=r["current"],
                held=tuple(json.loads(r["held"])),
            )
            for r in rows
        ]

    def devices(self) -> list[DeviceRow]:
        rows = self.conn.execute(
            "SELECT device, kind, ok, state, detail, at FROM devices ORDER BY device"
        )
        return [
            DeviceRow(r["device"], r["kind"], bool(r["ok"]), r["state"], r["detail"], r["at"])
            for r in rows
        ]

    def latest_ticket_day(self) -> date | None:
        """The last business day that has tickets."""
        row = self.conn.execute("SELECT max(day) FROM tickets").fetchone()
        return None if row[0] is None else date.fromisoformat(row[0])

    # The report's reads, through sqlite-utils.

    def tickets_of_day(self, day: date) -> list[TicketRow]:
        """A business day's tickets in the order they were issued."""
        rows = self._utils()["tickets"].rows_where(
            "day = ?", [day.isoformat()], order_by="issued_seq", select=", ".join(_TICKET_COLUMNS)
        )
        return [TicketRow(**r) for r in rows]

    def evaluations_of_day(self, day: date) -> list[EvaluationRow]:
        """The ratings given for a business day's tickets."""
        rows = self._utils().query(
            "SELECT e.ticket_id, e.number, e.counter, e.staff, e.rating, e.at FROM evaluations e "
            "JOIN tickets t ON t.id = e.ticket_id WHERE t.day = ? ORDER BY e.at",
            [day.isoformat()],
        )
        return [EvaluationRow(**r) for r in rows]

    def catalog(self) -> CatalogRow | None:
        for r in self._utils()["catalog"].rows_where("id = 1", select="version, services"):
            return CatalogRow(int(r["version"]), tuple(json.loads(r["services"])))
        return None

    def _utils(self) -> Any:
        # Imported here: sqlite-utils brings numpy along, which the role processes (sync,
        # which reads its outbox through this class) have no use for.
        import sqlite_utils

        return sqlite_utils.Database(self.conn)


def _event(r: sqlite3.Row) -> EventRow:
    return EventRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), str(r[5]), r[6] or "")
