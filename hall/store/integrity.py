"""Can this database be trusted? The hub's check at start and `hall audit verify`.

At start (`startup_check`, quick: a second on a year's log) the hub refuses a database
- it cannot write (a read-only file or folder: it would answer every command with a fault);
- that SQLite finds damaged (`PRAGMA quick_check`);
- whose latest events break the hash chain (an event changed inside the file);
- that ends before the head file beside it (`hall.db.head`): confirmed events were lost
  (a deleted WAL, a restored copy), and numbers would be issued twice.
Each finding is one line saying what is wrong and what to do.

`audit` checks everything: the whole chain, seq without gaps, every row readable, and the
tables against a replay of the log (hall rebuild --check).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hall.core import chain
from hall.core import events as ev
from hall.store.db import open_db
from hall.store.head import HeadFileError, head_path, read_head

TAIL = 1000  # events whose chain the start-up check verifies


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # read_only, damaged, chain_broken, events_lost, head_unreadable, …
    message: str  # one line: what is wrong and what to do
    seq: int | None = None


def _writable(path: Path) -> Finding | None:
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return Finding(
            "read_only",
            f"{path} is read-only for this user: the hub could not record anything "
            f"(give the hub's user write access: chown hall: {path}; or check the mount)",
        )
    if not os.access(folder, os.W_OK):
        return Finding(
            "read_only",
            f"{folder} is not writable for this user: SQLite needs it for the journal "
            f"(chown hall: {folder}; or check that the disk is not mounted read-only)",
        )
    return None


def _rows(conn: sqlite3.Connection, after: int) -> Iterator[sqlite3.Row]:
    yield from conn.execute(
        "SELECT seq, id, type, at, data, h FROM events WHERE seq > ? ORDER BY seq", (after,)
    )


def _wire(row: sqlite3.Row) -> dict[str, object]:
    """The event as the chain saw it; ValueError when its data is not JSON."""
    return {
        "seq": row["seq"],
        "id": row["id"],
        "type": row["type"],
        "at": row["at"],
        "data": json.loads(row["data"]),
        "h": row["h"],
    }


def chain_breaks(
    conn: sqlite3.Connection, after: int = 0, limit: int | None = None
) -> list[Finding]:
    """Breaks of the hash chain after seq `after` (all of them, or the first `limit`)."""
    previous = chain.GENESIS
    if after:
        row = conn.execute("SELECT h FROM events WHERE seq = ?", (after,)).fetchone()
        previous = (row[0] if row else None) or chain.GENESIS
    out: list[Finding] = []
    expected = after + 1
    for row in _rows(conn, after):
        seq = int(row["seq"])
        if seq != expected:
            out.append(
                Finding("gap", f"events {expected}–{seq - 1} are missing from the log", expected)
            )
        expected = seq + 1
        try:
            wire = _wire(row)
        except ValueError:
            out.append(Finding("bad_row", f"event {seq}: its data is not JSON", seq))
            previous = row["h"] or previous
            continue
        h = row["h"]
        if not h:
            out.append(Finding("chain_broken", f"event {seq} has no h", seq))
        elif chain.link(previous, wire) != h:
            out.append(
                Finding(
                    "chain_broken",
                    f"event {seq} ({row['type']}) was changed after it was recorded: "
                    "its h does not match (restore the database from its backup; "
                    "`hall audit verify` lists every changed event)",
                    seq,
                )
            )
        previous = h or previous
        if limit is not None and len(out) >= limit:
            break
    return out


def startup_check(path: Path) -> list[Finding]:
    """What stops the hub from serving this database (empty: it may serve)."""
    found = _writable(path)
    if found is not None:
        return [found]
    if not path.exists():
        return []  # a new hall: `hall init` or the hub creates it
    try:
        conn = open_db(path, readonly=True, timeout=5.0)
    except sqlite3.Error as exc:
        return [Finding("damaged", f"{path} cannot be opened: {exc} (restore it from backup)")]
    try:
        return _check_open(path, conn)
    except sqlite3.DatabaseError as exc:
        return [Finding("damaged", f"{path} is damaged: {exc} (restore the database from backup)")]
    finally:
        conn.close()


def _check_open(path: Path, conn: sqlite3.Connection) -> list[Finding]:
    conn.row_factory = sqlite3.Row
    quick = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    if quick != ["ok"]:
        return [
            Finding(
                "damaged",
                f"{path} is damaged ({'; '.join(quick)[:200]}): the hub will not write to it "
                "(restore the database from backup; `hall doctor` says which)",
            )
        ]
    has_events = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    last = 0
    found: list[Finding] = []
    if has_events is not None:  # else not migrated yet (a new hall, or everything lost)
        last = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        found = chain_breaks(conn, after=max(0, last - TAIL), limit=3)
    try:
        head = read_head(head_path(path))
    except HeadFileError as exc:
        return [*found, Finding("head_unreadable", f"{exc} (move it aside if it is garbage)")]
    if head is not None and head.seq > last:
        found.append(
            Finding(
                "events_lost",
                f"{path} ends at event {last} but event {head.seq} had been confirmed "
                f"({head_path(path).name}): confirmed events were lost (a deleted WAL or an "
                "old copy). Restore the database, or go on with what is left: "
                "`hall audit accept-loss` (numbers continue above those already issued)",
                last + 1,
            )
        )
    elif head is not None and head.seq and head.h:
        row = conn.execute("SELECT h FROM events WHERE seq = ?", (head.seq,)).fetchone()
        if row is not None and row[0] and row[0] != head.h:
            found.append(
                Finding(
                    "head_mismatch",
                    f"event {head.seq} is not the one the hub confirmed ({head_path(path).name}"
                    "): the database was replaced or changed (restore it; `hall audit verify`)",
                    head.seq,
                )
            )
    return found


@dataclass(slots=True)
class Audit:
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    table_differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings and not self.table_differences


def audit(conn: sqlite3.Connection) -> Audit:
    """The whole log: chain, gaps, rows that cannot be read (the tables: see rebuild)."""
    conn.row_factory = sqlite3.Row
    out = Audit()
    out.events = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    out.findings = chain_breaks(conn)
    for row in _rows(conn, 0):
        try:
            ev.payload_from(row["type"], json.loads(row["data"]))
        except ValueError as exc:  # JSON and payload alike
            seq = int(row["seq"])
            if not any(f.seq == seq and f.code == "bad_row" for f in out.findings):
                out.findings.append(Finding("bad_row", f"event {seq}: {exc}"[:300], seq))
    out.findings.sort(key=lambda f: (f.seq or 0, f.code))
    return out
