"""The tables made from the event log, written in batches behind it.

The log is the hall's record: a command commits its events and nothing else, so its
transaction writes two or three pages and its fsync is all it waits for. The rows those
events change (tickets, counters, the hall row, …) are kept here, each entity as it was
right after the last event that touched it (they are immutable values), and written
together:

- inside the transaction of the command that finds `FLUSH_EVENTS` events or
  `FLUSH_SECONDS` waiting (a busy hall: one command in a few hundred writes the batch);
- by the hub between commands (`HallStore.flush_tables`, from its tick, about every second);
- when the store closes.

The hall row says up to which event the tables go (`projected_seq`). A store that opens the
database loads the tables and applies the events after that seq again, so a crash between
batches loses nothing: the tables are never ahead of the log, and at most a second and a
batch behind it. Readers of the tables (the report, the doctor) see the hall as of
`projected_seq`; `hall rebuild --check` compares them with a replay of the log up to it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from hall.core.catalog import catalog_to_wire
from hall.core.model import Appointment, Catalog, DeviceState, Evaluation, ServiceStats, Ticket
from hall.core.state import HallState, Touched
from hall.store.rows import (
    appointment_row,
    counter_row,
    evaluation_row,
    hall_row,
    ticket_row,
    upsert,
)

FLUSH_EVENTS = 256  # events applied since the tables were last written …
FLUSH_SECONDS = 1.0  # … or seconds since the first of them: write the batch


def _value(state: HallState, kind: str, key: str) -> Any:
    """The entity a touched (kind, key) names, as it is now; None when it is gone."""
    if kind == "ticket":
        return state.tickets.get(key)  # type: ignore[call-overload]
    if kind == "counter":
        return state.counters.get(key)  # type: ignore[call-overload]
    if kind == "appointment":
        return state.appointments.get(key)  # type: ignore[call-overload]
    if kind == "evaluation":
        return state.evaluations.get(key)  # type: ignore[call-overload]
    if kind == "stats":
        return state.stats.get(key)  # type: ignore[call-overload]
    if kind == "serial":
        day, prefix = key.split("/")
        return state.serials.get((date.fromisoformat(day), prefix))
    if kind == "device":
        return state.devices.get(key)
    if kind == "catalog":
        return state.catalog
    return None


# Kinds whose entity, once gone from memory, keeps its last row (a ticket or an
# appointment of a closed day): only a counter's row is deleted with it.
_DELETED_WITH_ENTITY = frozenset({"counter"})


class Unwritten:
    """The rows applied events changed that the tables do not have yet."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.rows: dict[tuple[str, str], Any] = {}
        self.events = 0
        self.since: float | None = None  # when the first of them was applied

    def take(self, state: HallState, touched: Touched) -> None:
        """Note what one applied event touched (call right after `apply`)."""
        if self.since is None:
            self.since = self._clock()
        self.events += 1
        rows = self.rows
        for kind, key in touched:
            if kind == "meta":
                continue
            value = _value(state, kind, key)
            if value is not None or kind in _DELETED_WITH_ENTITY:
                rows[(kind, key)] = value

    def due(self) -> bool:
        """Enough waiting, or for long enough, that this command should write them."""
        if not self.events:
            return False
        return self.events >= FLUSH_EVENTS or (
            self.since is not None and self._clock() - self.since >= FLUSH_SECONDS
        )

    def write(self, conn: sqlite3.Connection, state: HallState) -> None:
        """Write every row and the hall row (the state as of `state.last_seq`) inside the
        caller's transaction; forget them only once the caller has committed (`clear`)."""
        order: dict[str, int] | None = None
        for (kind, key), value in self.rows.items():
            if kind == "counter":
                if value is None:
                    conn.execute("DELETE FROM counters WHERE id = ?", (key,))
                    continue
                if order is None:
                    order = {cid: i for i, cid in enumerate(state.counters)}
                upsert(conn, "counters", counter_row(value, order.get(value.id, len(order))))
            else:
                write_row(conn, kind, key, value)
        upsert(conn, "hall", hall_row(state))

    def clear(self) -> None:
        self.rows.clear()
        self.events = 0
        self.since = None


def write_row(conn: sqlite3.Connection, kind: str, key: str, value: Any) -> None:
    """One entity's row (every kind but counters, whose position needs the hall)."""
    if kind == "ticket":
        assert isinstance(value, Ticket)
        upsert(conn, "tickets", ticket_row(value))
    elif kind == "appointment":
        assert isinstance(value, Appointment)
        upsert(conn, "appointments", appointment_row(value))
    elif kind == "evaluation":
        assert isinstance(value, Evaluation)
        upsert(conn, "evaluations", evaluation_row(value))
    elif kind == "stats":
        assert isinstance(value, ServiceStats)
        upsert(
            conn,
            "service_stats",
            {"service": key, "ewma_minutes": value.ewma_minutes, "samples": value.samples},
        )
    elif kind == "serial":
        day, prefix = key.split("/")
        upsert(conn, "serials", {"day": day, "prefix": prefix, "last": int(value)})
    elif kind == "device":
        assert isinstance(value, DeviceState)
        upsert(
            conn,
            "devices",
            {
                "device": key,
                "kind": value.kind,
                "ok": int(value.ok),
                "state": value.state,
                "detail": value.detail,
                "at": value.at,
            },
        )
    elif kind == "catalog":
        assert isinstance(value, Catalog)
        upsert(
            conn,
            "catalog",
            {
                "id": 1,
                "version": value.version,
                "services": json.dumps(catalog_to_wire(value), ensure_ascii=False),
            },
        )
    else:
        raise ValueError(f"no table for {kind!r}")
