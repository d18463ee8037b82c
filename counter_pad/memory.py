"""What the pad master remembers, kept outside it so that it outlives the master.

- Per v1 device, a :class:`PadCursor`: the boot id, the last event number the hub has
  committed, the master's epoch and serial for that boot (docs/PAD_PROTOCOL.md,
  "Idempotency keys"), and whether a reply of that boot was seen with BOOTED clear (a
  later BOOTED under the same id is a reboot). Written after the hub's commit; a crash
  between the two makes the device send the event again with the same idempotency key,
  which the hub answers from its store without acting twice.
- For devices that number nothing (legacy pads, USB keypads): a session number per source
  and a journal of presses written *before* the press is acknowledged to the device, so a
  master killed in between replays them with their keys on the next start.
- The memory's *generation*: a random number drawn when the memory is made, part of every
  press's idempotency key, so a master whose memory was lost never repeats the keys of
  presses the hub already holds.
- The pads service's durable state (`counter_pad.durable`): evaluator prompts, presses
  held through a hub outage, each line's health counters.

:class:`SqlitePadMemory` is the product's (WAL, ``synchronous=FULL``);
:class:`InMemoryPadMemory` is for tests and the demo.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from counter_pad.durable import (
    DurableState,
    InMemoryDurable,
    SqliteDurable,
    event_from_json,
    event_json,
)
from counter_pad.keys import KeyEvent


def is_after(number: int, last: int) -> bool:
    """Whether event ``number`` comes after ``last`` in the 1-255 wrapping numbering."""
    if last == 0:
        return True
    return 0 < (number - last) % 255 < 128


@dataclass(frozen=True)
class PadCursor:
    """A device's boot id, the last event number taken under it (0 = none yet), the
    master's ``epoch`` (the day it met this boot) and ``serial`` (events taken from the
    device, on across its boots), and ``clear_seen``: a reply of this boot came with BOOTED
    clear."""

    boot_id: int
    last_event: int = 0
    epoch: int = 0
    serial: int = 0
    clear_seen: bool = False

    def after(self, number: int) -> PadCursor | None:
        """The cursor once event ``number`` is taken, or None if it is not a new one.
        The serial counts on past the wire's wrap from 255 to 1."""
        if not is_after(number, self.last_event):
            return None
        step = number if self.last_event == 0 else (number - self.last_event) % 255
        # (a new boot starts at last_event 0 with the serial of the one before)
        return PadCursor(self.boot_id, number, self.epoch, self.serial + step, self.clear_seen)


def new_generation() -> int:
    return secrets.randbelow(0xFFFFFFFF) + 1


class PadMemory(Protocol):
    @property
    def generation(self) -> int: ...

    def get(self, bus: str, address: int) -> PadCursor | None: ...

    def put(self, bus: str, address: int, cursor: PadCursor) -> None: ...


class PressJournal(Protocol):
    """Session numbers and unconfirmed presses of sources without event numbers."""

    @property
    def generation(self) -> int: ...

    def next_session(self, source: str) -> int: ...

    def journal_add(self, event: KeyEvent) -> None: ...

    def journal_done(self, event: KeyEvent) -> None: ...

    def journal_pending(self, source: str) -> list[KeyEvent]: ...


class InMemoryPadMemory:
    """Dicts behind a lock; for tests and the demo."""

    def __init__(self, generation: int | None = None) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, int], PadCursor] = {}
        self._sessions: dict[str, int] = {}
        self._journal: dict[str, KeyEvent] = {}
        self.generation = generation if generation is not None else new_generation()
        self.durable: DurableState = InMemoryDurable()

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

    def close(self) -> None:
        pass


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
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
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
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(cursors)")}
        if "clear_seen" not in columns:  # a memory file from before BOOTED was followed
            self._conn.execute(
                "ALTER TABLE cursors ADD COLUMN clear_seen INTEGER NOT NULL DEFAULT 0"
            )
        self.generation = self._generation()
        self.durable: DurableState = SqliteDurable(self._conn, self._lock)

    def _generation(self) -> int:
        """The memory's generation, drawn once when the file is made."""
        self._conn.execute(
            "INSERT OR IGNORE INTO meta VALUES ('generation', ?)", (str(new_generation()),)
        )
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get(self, bus: str, address: int) -> PadCursor | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT boot_id, last_event, epoch, serial, clear_seen FROM cursors "
                "WHERE bus = ? AND address = ?",
                (bus, address),
            ).fetchone()
        if row is None:
            return None
        boot, last, epoch, serial, clear = row
        return PadCursor(int(boot), int(last), int(epoch), int(serial), bool(clear))

    def put(self, bus: str, address: int, cursor: PadCursor) -> None:
        c = cursor
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO cursors "
                "(bus, address, boot_id, last_event, epoch, serial, clear_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (bus, address, c.boot_id, c.last_event, c.epoch, c.serial, int(c.clear_seen)),
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
                (event.idempotency_key, event.bus, event_json(event)),
            )

    def journal_done(self, event: KeyEvent) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM journal WHERE key = ?", (event.idempotency_key,))

    def journal_pending(self, source: str) -> list[KeyEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT event FROM journal WHERE source = ? ORDER BY rowid", (source,)
            ).fetchall()
        return [event_from_json(r[0]) for r in rows]


__all__ = [
    "InMemoryPadMemory",
    "PadCursor",
    "PadMemory",
    "PressJournal",
    "SqlitePadMemory",
    "is_after",
]
