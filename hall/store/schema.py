"""The database schema, as numbered migrations. `PRAGMA user_version` says which ran."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from hall.core import chain

Migration = str | Callable[[sqlite3.Connection], None]
"""SQL statements separated by `;`, or a function run inside the migration's transaction."""


def _chain_the_log(conn: sqlite3.Connection) -> None:
    """2: every event gets `h`, the hash chain of contract v1.1 (hall/core/chain.py), the
    log so far included: from here on, a changed event breaks the chain."""
    conn.execute("ALTER TABLE events ADD COLUMN h TEXT")
    previous = chain.GENESIS
    rows = conn.execute("SELECT seq, id, type, at, data FROM events ORDER BY seq").fetchall()
    for seq, id_, type_, at, data in rows:
        body = {"seq": seq, "id": id_, "type": type_, "at": at, "data": json.loads(data)}
        previous = chain.link(previous, body)
        conn.execute("UPDATE events SET h = ? WHERE seq = ?", (previous, seq))


MIGRATIONS: list[Migration] = [
    # 1: the event log, the tables made from it, idempotency keys.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        ts REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL,
        day TEXT NOT NULL,
        prefix TEXT NOT NULL,
        serial INTEGER NOT NULL,
        service TEXT NOT NULL,
        source TEXT NOT NULL,
        priority TEXT NOT NULL,
        state TEXT NOT NULL,
        issued_seq INTEGER NOT NULL,
        issued_at REAL NOT NULL,
        order_key REAL NOT NULL,
        appointment_id TEXT,
        target_counter TEXT,
        counter TEXT,
        staff TEXT,
        calls INTEGER NOT NULL,
        first_called_at REAL,
        called_at REAL,
        started_at REAL,
        finished_at REAL,
        transfers INTEGER NOT NULL,
        rated INTEGER NOT NULL,
        UNIQUE (day, number)
    );
    CREATE TABLE counters (
        id TEXT PRIMARY KEY,
        pos INTEGER NOT NULL,
        name TEXT NOT NULL,
        services TEXT NOT NULL,
        state TEXT NOT NULL,
        staff TEXT,
        current TEXT,
        held TEXT NOT NULL
    );
    CREATE TABLE appointments (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        service TEXT NOT NULL,
        day TEXT NOT NULL,
        slot_start TEXT NOT NULL,
        slot_end TEXT NOT NULL,
        code TEXT NOT NULL,
        id_hash TEXT,
        name_masked TEXT,
        priority TEXT NOT NULL,
        ticket_id TEXT
    );
    CREATE INDEX appointments_day ON appointments(day);
    CREATE TABLE evaluations (
        ticket_id TEXT PRIMARY KEY,
        number TEXT NOT NULL,
        counter TEXT NOT NULL,
        staff TEXT,
        rating INTEGER,
        at REAL NOT NULL
    );
    CREATE TABLE service_stats (
        service TEXT PRIMARY KEY, ewma_minutes REAL NOT NULL, samples INTEGER NOT NULL
    );
    CREATE TABLE serials (
        day TEXT NOT NULL, prefix TEXT NOT NULL, last INTEGER NOT NULL,
        PRIMARY KEY (day, prefix)
    );
    CREATE TABLE devices (
        device TEXT PRIMARY KEY, kind TEXT NOT NULL, ok INTEGER NOT NULL,
        state TEXT NOT NULL, detail TEXT NOT NULL, at REAL NOT NULL
    );
    CREATE TABLE catalog (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL,
        services TEXT NOT NULL);
    CREATE TABLE hall (id INTEGER PRIMARY KEY CHECK (id = 1),
        open_day TEXT, last_closed_day TEXT, day_skips INTEGER NOT NULL,
        recent_calls TEXT NOT NULL, last_finished TEXT NOT NULL);
    CREATE TABLE idempotency (
        key TEXT PRIMARY KEY, seq INTEGER NOT NULL, result TEXT NOT NULL, ts REAL NOT NULL
    );
    """,
    _chain_the_log,
    # 3: remote tickets (云叫号) and the tickets the city follows.
    """
    ALTER TABLE tickets ADD COLUMN arrived INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE tickets ADD COLUMN arrive_by REAL;
    ALTER TABLE tickets ADD COLUMN request_id TEXT;
    ALTER TABLE tickets ADD COLUMN id_hash TEXT;
    ALTER TABLE tickets ADD COLUMN phone_tail TEXT;
    ALTER TABLE tickets ADD COLUMN name_masked TEXT;
    ALTER TABLE tickets ADD COLUMN watched INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN cancel_reason TEXT
    """,
    # 4: an idempotency key remembers which command it was for (a hash of the command and
    # its arguments), so a key used again for another command is refused (`key_reused`)
    # instead of answered with the first one's result. (The hall's secret for ticket ids is
    # made by the store when it first opens the database: meta 'ticket_key'.)
    "ALTER TABLE idempotency ADD COLUMN cmd TEXT",
    # 5: the tables follow the log in batches (hall/store/projection.py); the hall row says
    # up to which event they go. Until now they went to the log's end.
    """
    ALTER TABLE hall ADD COLUMN projected_seq INTEGER;
    UPDATE hall SET projected_seq = (SELECT max(seq) FROM events)
    """,
]

# Tables made from the event log (rebuilt by `hall rebuild`, compared in the tests).
PROJECTION_TABLES = (
    "tickets",
    "counters",
    "appointments",
    "evaluations",
    "service_stats",
    "serials",
    "devices",
    "catalog",
    "hall",
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    pass


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date, each migration in its own transaction. Returns the version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {version}, newer than this software "
            f"({SCHEMA_VERSION}); install the newer software or restore its backup"
        )
    for i in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS[i]
            if callable(step):
                step(conn)
            else:
                for stmt in step.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {i + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
