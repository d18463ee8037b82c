"""HallStore: one command, one SQLite transaction.

Each `execute` runs BEGIN IMMEDIATE; checks the idempotency key; closes a finished
business day if one is open; asks the core to decide; appends the events (gapless seq) and
applies them to the in-memory state; COMMIT. Only after COMMIT returns is anything
confirmed to anyone (WAL, synchronous=FULL). The rows the events changed follow in
batches (hall/store/projection.py): the tables are never ahead of the log, and a store
that opens the database applies the events the tables do not have yet.

One process writes: the hub, which holds the database's lock (hall/singleton.py); every
other change reaches it over the hall bus. Each transaction still checks that the log has
not grown behind its back (a restored file, a stray writer) and reloads if so. Readers use
the read side (hall/store/read.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hall.core import commands as c
from hall.core import events as ev
from hall.core.apply import apply
from hall.core.decide import Decision, day_rollover, decide
from hall.core.engine import append
from hall.core.errors import Refused
from hall.core.rules import Rules
from hall.core.state import HallState, Touched, new_state
from hall.core.timekeeping import Clock, HallClock, Reading
from hall.store import rows
from hall.store.checkpoint import SAFETY_NET_PAGES, Checkpointer
from hall.store.db import StoreError as StoreError
from hall.store.db import open_db
from hall.store.head import Head, HeadKeeper, head_path, read_head, write_head
from hall.store.projection import Unwritten
from hall.store.schema import migrate

log = logging.getLogger(__name__)

REBUILD_BATCH = 5000  # events replayed between writes of their rows (memory stays small)


@dataclass(frozen=True, slots=True)
class Outcome:
    result: dict[str, Any]
    events: tuple[ev.Event, ...]
    duplicate: bool = False  # the idempotency key had been seen: nothing new happened


def connect(path: str | Path) -> sqlite3.Connection:
    """The writer's connection (WAL, synchronous=FULL): see `hall.store.db.open_db`."""
    return open_db(path)


class HallStore:
    def __init__(
        self, path: str | Path, *, hall_id: str, tz: ZoneInfo, rules: Rules, clock: Clock
    ) -> None:
        self.path = Path(path)
        self.hall_id = hall_id
        self.tz = tz
        self.rules = rules
        self.conn = connect(self.path)
        migrate(self.conn)
        self._check_hall()
        self._ticket_key = self._load_ticket_key()
        self._unwritten = Unwritten()
        self._data_version = -1
        self.state = self._load()
        self._wall_clock = clock
        self.clock = HallClock(clock, self.state.last_ts)
        self.head: HeadKeeper | None = None

    def keep_head(self) -> HeadKeeper:
        """Keep the log's head in `<database>.head` beside the database (the hub does; see
        hall/store/head.py). Call after the start-up check has compared the two."""
        current = read_head(head_path(self.path)) or Head()
        start = Head(
            seq=self.state.last_seq,
            h=self.state.chain_head,
            day=current.day,
            reserved=dict(current.reserved),
        )
        self.head = HeadKeeper(head_path(self.path), start)
        write_head(self.head.path, start)
        return self.head

    # --- life cycle -----------------------------------------------------------------------

    def _check_hall(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('hall_id', ?)", (self.hall_id,))
        elif row[0] != self.hall_id:
            raise StoreError(
                f"{self.path} belongs to hall {row[0]}, not {self.hall_id}: "
                "check hall.id in the config or the database path"
            )

    def _load_ticket_key(self) -> bytes:
        """The hall's secret for ticket ids: 32 random bytes made when the store first opens
        the database (an HMAC key, hall/core/decide/issuing.py), kept in meta."""
        self.conn.execute(
            "INSERT OR IGNORE INTO meta VALUES ('ticket_key', ?)", (os.urandom(32).hex(),)
        )
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'ticket_key'").fetchone()
        try:
            key = bytes.fromhex(row[0])
        except ValueError:
            key = b""
        if len(key) < 16:
            raise StoreError(f"{self.path}: the hall's ticket id key in meta is damaged")
        return key

    def _load(self) -> HallState:
        """The state from the tables, then the events they do not have yet applied again
        (hall/store/projection.py); those rows are written with the next batch."""
        fresh = new_state(self.hall_id, self.tz, self.rules)
        fresh.ticket_key = self._ticket_key
        state = rows.load_state(self.conn, fresh)
        unwritten = Unwritten()
        for e in self.iter_events(state.last_seq):
            unwritten.take(state, apply(state, e))
        if unwritten.events:
            log.info("applied %d events the tables did not have yet", unwritten.events)
        self._unwritten = unwritten
        return state

    def checkpoint_in_background(self, interval: float = 1.0) -> Checkpointer:
        """Move WAL checkpoints from the commits to a thread of their own (the hub does)."""
        self.conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
        head = self.head
        return Checkpointer(
            self.path, interval=interval, after=head.flush if head is not None else None
        ).start()

    def close(self) -> None:
        try:
            self.flush_tables()
        except (sqlite3.Error, OSError) as exc:  # the log has them: the next start applies them
            log.warning("the tables were not brought up to the log at close: %s", exc)
        if self.head is not None:
            try:
                self.head.flush()
            except OSError as exc:
                log.warning("the log's head file was not written at close: %s", exc)
        self.conn.close()

    def __enter__(self) -> HallStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def initialised(self) -> bool:
        return bool(self.state.catalog.services) or bool(self.state.counters)

    def setup(self, catalog: dict[str, Any], counters: list[dict[str, Any]]) -> list[Outcome]:
        """Apply a catalog (contract shape) and counters from the config; no-ops when unchanged."""
        return [
            self.execute(
                c.ApplyCatalog(version=int(catalog["version"]), services=list(catalog["services"]))
            ),
            self.execute(c.ConfigureCounters(counters=counters)),
        ]

    # --- commands -------------------------------------------------------------------------

    def now(self) -> Reading:
        return self.clock.read()

    def execute(self, cmd: c.Command, idempotency_key: str | None = None) -> Outcome:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        committed: list[ev.Event] = []
        try:
            self._refresh()
            fingerprint = command_fingerprint(cmd) if idempotency_key is not None else ""
            if idempotency_key is not None:
                seen = conn.execute(
                    "SELECT result, cmd FROM idempotency WHERE key = ?", (idempotency_key,)
                ).fetchone()
                if seen is not None:
                    conn.execute("ROLLBACK")
                    if seen[1] is not None and seen[1] != fingerprint:
                        raise Refused(
                            "key_reused",
                            "请求编号已用于另一操作，未执行",
                            "the idempotency key was used before for another command or "
                            "other arguments: send a new key",
                        )
                    stored = json.loads(seen[0])
                    if "refused" in stored:
                        r = stored["refused"]
                        raise Refused(r["code"], r["message"], r.get("hint", ""), duplicate=True)
                    return Outcome(stored, (), duplicate=True)
            now = self.clock.read()
            try:
                roll = day_rollover(self.state, now)
                if roll is not None:
                    committed += self._append(roll, now)
                decision = decide(self.state, cmd, now)
            except Refused as refusal:
                if committed or idempotency_key is not None:
                    if idempotency_key is not None:
                        self._remember(
                            idempotency_key, fingerprint, {"refused": refusal.to_dict()}, now
                        )
                    conn.execute("COMMIT")
                else:
                    conn.execute("ROLLBACK")
                raise
            committed += self._append(decision, now)
            result = decision.result.to_dict()
            if idempotency_key is not None:
                self._remember(idempotency_key, fingerprint, result, now)
            flushing = self._unwritten.due()
            if flushing:  # a busy hall: this command carries the batch of rows
                self._unwritten.write(conn, self.state)
            self._reserve_numbers(committed)
            conn.execute("COMMIT")
            if flushing:
                self._unwritten.clear()
        except Refused:
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # The in-memory state may hold events that did not commit: start again from disk.
            self.state = self._load()
            raise
        for e in committed:
            self.clock.observe(e.ts)
        if any(isinstance(e.payload, ev.ClockRewound) for e in committed):
            self.clock = HallClock(self._wall_clock, self.state.last_ts)
        if self.head is not None and committed:
            self.head.committed(self.state.last_seq, self.state.chain_head)
        return Outcome(result, tuple(committed))

    def _reserve_numbers(self, events: list[ev.Event]) -> None:
        """Before COMMIT: the numbers these events issue are reserved in the head file."""
        if self.head is None:
            return
        issued = [e.payload for e in events if isinstance(e.payload, ev.TicketIssued)]
        if issued:
            serials: dict[str, int] = {}
            for t in issued:
                serials[t.prefix] = max(serials.get(t.prefix, 0), t.serial)
            self.head.reserve(issued[-1].day, serials)

    def _remember(self, key: str, fingerprint: str, result: dict[str, Any], now: Reading) -> None:
        self.conn.execute(
            "INSERT INTO idempotency (key, seq, result, ts, cmd) VALUES (?, ?, ?, ?, ?)",
            (key, self.state.last_seq, json.dumps(result, ensure_ascii=False), now.ts, fingerprint),
        )

    def _refresh(self) -> None:
        """Reload if another process appended events since this one last looked."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return  # no other connection has committed since our last look
        self._data_version = version
        row = self.conn.execute("SELECT max(seq) FROM events").fetchone()
        if (row[0] or 0) != self.state.last_seq:
            log.info(
                "event log moved on elsewhere (%s → %s); reloading", self.state.last_seq, row[0]
            )
            self.state = self._load()
            self.clock.observe(self.state.last_ts)

    def _append(self, decision: Decision, now: Reading) -> list[ev.Event]:
        """Append and apply a decision's events; their rows wait for the next batch."""
        unwritten = self._unwritten

        def write(e: ev.Event, touched: Touched) -> None:
            self.conn.execute(
                "INSERT INTO events (seq, id, type, at, ts, data, h) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    e.seq,
                    e.id,
                    e.type,
                    e.at,
                    e.ts,
                    e.text or json.dumps(e.data, ensure_ascii=False),
                    e.h,
                ),
            )
            unwritten.take(self.state, touched)

        return append(self.state, decision, now.ts, write)

    def flush_tables(self) -> bool:
        """Bring the tables up to the log in a transaction of its own (the hub between
        commands, the store at close). False when they were already there."""
        if not self._unwritten.events:
            return False
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._refresh()
            self._unwritten.write(conn, self.state)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._unwritten.clear()
        return True

    @property
    def unwritten_events(self) -> int:
        """Events applied that the tables do not have yet."""
        return self._unwritten.events

    # --- reading --------------------------------------------------------------------------

    def events_since(self, after_seq: int, limit: int | None = None) -> list[ev.Event]:
        q = "SELECT * FROM events WHERE seq > ? ORDER BY seq"
        args: tuple[Any, ...] = (after_seq,)
        if limit is not None:
            q += " LIMIT ?"
            args = (after_seq, limit)
        return [event_from_row(r) for r in self.conn.execute(q, args)]

    def iter_events(self, after_seq: int = 0, batch: int = 5000) -> Iterator[ev.Event]:
        while True:
            chunk = self.events_since(after_seq, batch)
            if not chunk:
                return
            yield from chunk
            after_seq = chunk[-1].seq


def command_fingerprint(cmd: c.Command) -> str:
    """What an idempotency key is bound to: the command's type and every argument."""
    body = {"type": type(cmd).__name__, "args": dataclasses.asdict(cmd)}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_from_row(r: sqlite3.Row) -> ev.Event:
    """The event a row of the log holds; ValueError naming the seq when it cannot be read."""
    try:
        data = json.loads(r["data"])
        payload = ev.payload_from(r["type"], data)
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"event seq {r['seq']} ({r['type']}) cannot be read: {exc}") from None
    return ev.Event(r["seq"], r["id"], r["at"], r["ts"], payload, r["h"] or "", data)


def rebuild(
    events: Iterator[ev.Event] | list[ev.Event],
    target: sqlite3.Connection,
    *,
    hall_id: str,
    tz: ZoneInfo,
    rules: Rules,
) -> HallState:
    """Replay a log into a fresh database's tables (which must be empty and migrated)."""
    state = new_state(hall_id, tz, rules)
    unwritten = Unwritten()
    target.execute("BEGIN")
    for e in events:
        unwritten.take(state, apply(state, e))
        if unwritten.events >= REBUILD_BATCH:
            unwritten.write(target, state)
            unwritten.clear()
    unwritten.write(target, state)
    target.execute("COMMIT")
    return state
