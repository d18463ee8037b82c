"""The pads service's durable state, in the master's memory file beside the cursors.

- **Evaluator prompts** (:class:`Prompt`): an EVAL_START the service owes an evaluator,
  written before the FINISH press that caused it is acknowledged, removed when the rating
  (or the evaluator's no-rating timeout) is stored by the hub, or when the counter signs
  out. A `hall pads` killed with prompts pending sends them again when it starts (or
  settles those too old to ask again as "no rating", `counter_pad.evaluators`).
- **Held presses** (:class:`HeldPress`): presses the hub did not take within
  ``command_timeout_s``, kept in order to be applied when the hub is back if still
  meaningful (`counter_pad.held`). Written before the press is acknowledged to its device.
- **Line health** (:class:`LineHealth`): each line's counters (noise, bad CRCs, timeouts,
  NAKs …), written every few seconds by `hall pads` and read by `hall doctor`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from counter_pad.keys import Key, KeyEvent


def event_json(event: KeyEvent) -> str:
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
            "memory": event.memory,
        }
    )


def event_from_json(text: str) -> KeyEvent:
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
        int(d.get("memory", 0)),
    )


@dataclass(frozen=True)
class Prompt:
    """An evaluation the service started (or owes) on one evaluator."""

    link: str
    address: int
    counter: str
    number: str  # the ticket to rate
    at: float  # wall time it was asked for


@dataclass(frozen=True)
class HeldPress:
    """A press kept through a hub outage, with the wall time it was taken."""

    event: KeyEvent
    counter: str
    taken_at: float

    @property
    def key(self) -> str:
        return self.event.idempotency_key


@dataclass(frozen=True)
class LineHealth:
    """One line's counters since `hall pads` started, what the last interval of
    ``interval`` seconds added (``recent``), and when they were written (wall time)."""

    line: str
    counters: dict[str, int]
    at: float
    recent: dict[str, int] = field(default_factory=dict)
    interval: float = 0.0


class DurableState(Protocol):
    def prompt_put(self, prompt: Prompt) -> None: ...

    def prompt_done(self, link: str, address: int, number: str | None = None) -> None:
        """Forget the prompt of an evaluator (only if it is for ``number``, when given)."""
        ...

    def prompts(self) -> list[Prompt]: ...

    def held_add(self, held: HeldPress) -> None: ...

    def held_done(self, key: str) -> None: ...

    def held(self) -> list[HeldPress]: ...

    def health_put(self, health: LineHealth) -> None: ...

    def health(self) -> list[LineHealth]: ...


class InMemoryDurable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prompts: dict[tuple[str, int], Prompt] = {}
        self._held: dict[str, HeldPress] = {}
        self._health: dict[str, LineHealth] = {}

    def prompt_put(self, prompt: Prompt) -> None:
        with self._lock:
            self._prompts[(prompt.link, prompt.address)] = prompt

    def prompt_done(self, link: str, address: int, number: str | None = None) -> None:
        with self._lock:
            found = self._prompts.get((link, address))
            if found is not None and (number is None or found.number == number):
                del self._prompts[(link, address)]

    def prompts(self) -> list[Prompt]:
        with self._lock:
            return list(self._prompts.values())

    def held_add(self, held: HeldPress) -> None:
        with self._lock:
            self._held[held.key] = held

    def held_done(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)

    def held(self) -> list[HeldPress]:
        with self._lock:
            return list(self._held.values())

    def health_put(self, health: LineHealth) -> None:
        with self._lock:
            self._health[health.line] = health

    def health(self) -> list[LineHealth]:
        with self._lock:
            return sorted(self._health.values(), key=lambda h: h.line)


SCHEMA = """
CREATE TABLE IF NOT EXISTS prompts (
    link TEXT NOT NULL, address INTEGER NOT NULL, counter TEXT NOT NULL,
    number TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (link, address)
);
CREATE TABLE IF NOT EXISTS held (
    key TEXT PRIMARY KEY, counter TEXT NOT NULL, event TEXT NOT NULL, taken_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_health (
    line TEXT PRIMARY KEY, counters TEXT NOT NULL, at REAL NOT NULL,
    recent TEXT NOT NULL, interval REAL NOT NULL
);
"""


class SqliteDurable:
    """The same tables in the memory file (its connection and lock, shared)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock
        with lock:
            conn.executescript(SCHEMA)

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql, args).fetchall())

    def prompt_put(self, prompt: Prompt) -> None:
        p = prompt
        self._run(
            "INSERT OR REPLACE INTO prompts VALUES (?, ?, ?, ?, ?)",
            (p.link, p.address, p.counter, p.number, p.at),
        )

    def prompt_done(self, link: str, address: int, number: str | None = None) -> None:
        if number is None:
            self._run("DELETE FROM prompts WHERE link = ? AND address = ?", (link, address))
        else:
            self._run(
                "DELETE FROM prompts WHERE link = ? AND address = ? AND number = ?",
                (link, address, number),
            )

    def prompts(self) -> list[Prompt]:
        rows = self._run("SELECT link, address, counter, number, at FROM prompts ORDER BY at")
        return [Prompt(str(a), int(b), str(c), str(d), float(e)) for a, b, c, d, e in rows]

    def held_add(self, held: HeldPress) -> None:
        self._run(
            "INSERT OR IGNORE INTO held VALUES (?, ?, ?, ?)",
            (held.key, held.counter, event_json(held.event), held.taken_at),
        )

    def held_done(self, key: str) -> None:
        self._run("DELETE FROM held WHERE key = ?", (key,))

    def held(self) -> list[HeldPress]:
        rows = self._run("SELECT counter, event, taken_at FROM held ORDER BY rowid")
        return [HeldPress(event_from_json(e), str(c), float(t)) for c, e, t in rows]

    def health_put(self, health: LineHealth) -> None:
        h = health
        self._run(
            "INSERT OR REPLACE INTO line_health VALUES (?, ?, ?, ?, ?)",
            (h.line, _dumps(h.counters), h.at, _dumps(h.recent), h.interval),
        )

    def health(self) -> list[LineHealth]:
        return _health_rows(self._run(_HEALTH))


_HEALTH = "SELECT line, counters, at, recent, interval FROM line_health ORDER BY line"


def _dumps(counters: dict[str, int]) -> str:
    return json.dumps(counters, sort_keys=True)


def _health_rows(rows: list[Any]) -> list[LineHealth]:
    return [
        LineHealth(str(a), dict(json.loads(b)), float(c), dict(json.loads(d)), float(e))
        for a, b, c, d, e in rows
    ]


def read_health(path: str) -> list[LineHealth]:
    """The line health a running (or stopped) `hall pads` wrote, read-only (`hall doctor`).
    Raises sqlite3.Error when the file is not there or not a pads memory."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(_HEALTH).fetchall()
    finally:
        conn.close()
    return _health_rows(rows)
