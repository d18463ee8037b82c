"""What the pad master remembers, kept outside it so that it outlives the master.

- Per v1 device, a :class:`PadCursor`: the boot id, the last event number the hub has
  committed, and the master's epoch and serial for that boot (docs/PAD_PROTOCOL.md,
  "Idempotency keys"). Written after the hub's commit; a crash between the two makes the
  device send the event again with the same idempotency key, which the hub answers from
  its store without acting twice.
- For devices that number nothing (legacy pads, USB keypads): a session number per source
  and a journal of presses written *before* the press is acknowledged to the device, so a
  master killed in between replays them with their keys on the next start.

:class:`SqlitePadMemory` is the product's (WAL, ``synchronous=FULL``);
:class:`InMemoryPadMemory` is for tests.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from counter_pad.keys import Key, KeyEvent


def is_after(number: int, last: int) -> bool:
    """Whether event ``number`` comes after ``last`` in the 1-255 wrapping numbering."""
    if last == 0:
        return True
    return 0 < (number - last) % 255 < 128


@dataclass(frozen=True)
class PadCursor:
    """A device's boot id, the last event number taken under it (0 = none yet), and the
    master's ``epoch`` (when it met this boot) and ``serial`` (events taken under it)."""

    boot_id: int
    last_event: int = 0
    epoch: int = 0
    serial: int = 0

    def after(self, number: int) -> PadCursor | None:
        """The cursor once event ``number`` is taken, or None if it is not a new one.
        The serial counts on past the wire's wrap from 255 to 1."""
        if not is_after(number, self.last_event):
            return None
        step = number if self.last_event == 0 else (number - self.last_event) % 255
        return PadCursor(self.boot_id, number, self.epoch, self.serial + step)


class PadMemory(Protocol):
    def get(self, bus: str, address: int) -> PadCursor | None: ...

    def put(self, bus: str, address: int, cursor: PadCursor) -> None: ...


class PressJournal(Protocol):
    """Session numbers and unconfirmed presses of sources without event numbers."""

    def next_session(self, source: str) -> int: ...

    def journal_add(self, event: KeyEvent) -> None: ...

    def journal_done(self, event: KeyEvent) -> None: ...

    def journal_pending(self, source: str) -> list[KeyEvent]: ...


def _event_json(event: KeyEvent) -> str:
    return json.dumps(
        {
            "bus": event.bus,
            "address": event.address,
            "boot_id": event.boot_id,
            "event_no": event.event_no,
            "key": int(event.key),
            "arg": event.arg,
            "epoch": event.epoch,
            "serial": event.serial,
        }
    )


def _event_from_json(text: str) -> KeyEvent:
    d = json.loads(text)
    return KeyEvent(
        str(d["bus"]),
        int(d["address"]),
        int(d["boot_id"]),
        int(d["event_no"]),
        Key(int(d["key"])),
        str(d["arg"]),
        int(d["epoch"]),
        int(d["serial"]),
    )


class InMemoryPadMemory:
    """Dicts behind a lock; for tests and the demo."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, int], PadCursor] = {}
        self._sessions: dict[str, int] = {}
        self._journal: dict[str, KeyEvent] = {}

    def get(self, bus: str, address: int) -> PadCursor | None:
        with self._lock:
            return self._data.get((bus, address))

    def put(self, bus: str, address: int, cursor: PadCursor) -> None:
        with self._lock:
            self._data[(bus, address)] = cursor

    def next_session(self, source: str) -> int:
        with self._lock:
            self._sessions[source] = self._sessions.get(source, 0) + 1
            return self._sessions[source]

    def journal_add(self, event: KeyEvent) -> None:
        with self._lock:
            self._journal[event.idempotency_key] = event

    def journal_done(self, event: KeyEvent) -> None:
        with self._lock:
            self._journal.pop(event.idempotency_key, None)

    def journal_pending(self, source: str) -> list[KeyEvent]:
        with self._lock:
            return [e for e in self._journal.values() if e.bus == source]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    bus TEXT NOT NULL, address INTEGER NOT NULL, boot_id INTEGER NOT NULL,
    last_event INTEGER NOT NULL, epoch INTEGER NOT NULL, serial INTEGER NOT NULL,
    PRIMARY KEY (bus, address)
);
CREATE TABLE IF NOT EXISTS sessions (source TEXT PRIMARY KEY, session INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, event TEXT NOT NULL
);
"""


class SqlitePadMemory:
    """The pad master's own small SQLite file; every write is one committed transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get(self, bus: str, address: int) -> PadCursor | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT boot_id, last_event, epoch, serial FROM cursors "
                "WHERE bus = ? AND address = ?",
                (bus, address),
            ).fetchone()
        return PadCursor(*row) if row else None

    def put(self, bus: str, address: int, cursor: PadCursor) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?, ?, ?)",
                (bus, address, cursor.boot_id, cursor.last_event, cursor.epoch, cursor.serial),
            )

    def next_session(self, source: str) -> int:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute(
                "SELECT session FROM sessions WHERE source = ?", (source,)
            ).fetchone()
            session = (row[0] if row else 0) + 1
            self._conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (source, session))
            self._conn.execute("COMMIT")
        return session

    def journal_add(self, event: KeyEvent) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO journal VALUES (?, ?, ?)",
                (event.idempotency_key, event.bus, _event_json(event)),
            )

    def journal_done(self, event: KeyEvent) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM journal WHERE key = ?", (event.idempotency_key,))

    def journal_pending(self, source: str) -> list[KeyEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT event FROM journal WHERE source = ? ORDER BY rowid", (source,)
            ).fetchall()
        return [_event_from_json(r[0]) for r in rows]
