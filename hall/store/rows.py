"""Entities to table rows and back. The tables are a projection of the event log."""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from datetime import date, datetime
from typing import Any

from hall.core.catalog import parse_catalog
from hall.core.model import (
    Appointment,
    AppointmentId,
    AppointmentStatus,
    Counter,
    CounterId,
    CounterSpec,
    CounterState,
    DeviceState,
    Evaluation,
    Priority,
    ServiceCode,
    ServiceStats,
    Source,
    StaffId,
    Ticket,
    TicketId,
    TicketState,
)
from hall.core.state import HallState

# Each table's primary key: rows are updated in place (UPSERT), not deleted and inserted
# again as INSERT OR REPLACE does, which gives the row a new rowid, moves it to the table's
# end and rewrites its index entries: about three times the pages written per commit.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "tickets": ("id",),
    "counters": ("id",),
    "appointments": ("id",),
    "evaluations": ("ticket_id",),
    "service_stats": ("service",),
    "serials": ("day", "prefix"),
    "devices": ("device",),
    "catalog": ("id",),
    "hall": ("id",),
}
_UPSERT_SQL: dict[tuple[str, tuple[str, ...]], str] = {}


def upsert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    cols = tuple(row)
    sql = _UPSERT_SQL.get((table, cols))
    if sql is None:
        key = PRIMARY_KEYS[table]
        marks = ", ".join("?" for _ in cols)
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in key)
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
        )
        _UPSERT_SQL[(table, cols)] = sql
    conn.execute(sql, tuple(row.values()))


def ticket_row(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "number": t.number,
        "day": t.day.isoformat(),
        "prefix": t.prefix,
        "serial": t.serial,
        "service": t.service,
        "source": t.source.value,
        "priority": t.priority.value,
        "state": t.state.value,
        "issued_seq": t.issued_seq,
        "issued_at": t.issued_at,
        "order_key": t.order_key,
        "appointment_id": t.appointment_id,
        "target_counter": t.target_counter,
        "counter": t.counter,
        "staff": t.staff,
        "calls": t.calls,
        "first_called_at": t.first_called_at,
        "called_at": t.called_at,
        "started_at": t.started_at,
        "finished_at": t.finished_at,
        "transfers": t.transfers,
        "rated": int(t.rated),
        "arrived": int(t.arrived),
        "arrive_by": t.arrive_by,
        "request_id": t.request_id,
        "id_hash": t.id_hash,
        "phone_tail": t.phone_tail,
        "name_masked": t.name_masked,
        "watched": int(t.watched),
        "cancel_reason": t.cancel_reason,
    }


def ticket_from_row(r: sqlite3.Row) -> Ticket:
    return Ticket(
        id=TicketId(r["id"]),
        number=r["number"],
        prefix=r["prefix"],
        serial=r["serial"],
        service=ServiceCode(r["service"]),
        day=date.fromisoformat(r["day"]),
        source=Source(r["source"]),
        priority=Priority(r["priority"]),
        state=TicketState(r["state"]),
        issued_seq=r["issued_seq"],
        issued_at=r["issued_at"],
        order_key=r["order_key"],
        appointment_id=AppointmentId(r["appointment_id"]) if r["appointment_id"] else None,
        target_counter=CounterId(r["target_counter"]) if r["target_counter"] else None,
        counter=CounterId(r["counter"]) if r["counter"] else None,
        staff=StaffId(r["staff"]) if r["staff"] else None,
        calls=r["calls"],
        first_called_at=r["first_called_at"],
        called_at=r["called_at"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        transfers=r["transfers"],
        rated=bool(r["rated"]),
        arrived=bool(r["arrived"]),
        arrive_by=r["arrive_by"],
        request_id=r["request_id"],
        id_hash=r["id_hash"],
        phone_tail=r["phone_tail"],
        name_masked=r["name_masked"],
        watched=bool(r["watched"]),
        cancel_reason=r["cancel_reason"],
    )


_SERVICES_JSON: dict[tuple[str, ...], str] = {}


def counter_row(c: Counter, pos: int) -> dict[str, Any]:
    services = _SERVICES_JSON.get(c.spec.services)
    if services is None:  # a counter's services change only with the config
        services = _SERVICES_JSON[c.spec.services] = json.dumps(list(c.spec.services))
    return {
        "id": c.id,
        "pos": pos,
        "name": c.spec.name,
        "services": services,
        "state": c.state.value,
        "staff": c.staff,
        "current": c.current,
        "held": json.dumps(list(c.held)) if c.held else "[]",
    }


def counter_from_row(r: sqlite3.Row) -> Counter:
    spec = CounterSpec(
        id=CounterId(r["id"]),
        name=r["name"],
        services=tuple(ServiceCode(s) for s in json.loads(r["services"])),
    )
    return Counter(
        spec=spec,
        state=CounterState(r["state"]),
        staff=StaffId(r["staff"]) if r["staff"] else None,
        current=TicketId(r["current"]) if r["current"] else None,
        held=tuple(TicketId(h) for h in json.loads(r["held"])),
    )


def appointment_row(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.id,
        "version": a.version,
        "status": a.status.value,
        "service": a.service,
        "day": a.day.isoformat(),
        "slot_start": a.slot_start.strftime("%H:%M"),
        "slot_end": a.slot_end.strftime("%H:%M"),
        "code": a.code,
        "id_hash": a.id_hash,
        "name_masked": a.name_masked,
        "priority": a.priority.value,
        "ticket_id": a.ticket_id,
    }


def appointment_from_row(r: sqlite3.Row) -> Appointment:
    return Appointment(
        id=AppointmentId(r["id"]),
        version=r["version"],
        status=AppointmentStatus(r["status"]),
        service=ServiceCode(r["service"]),
        day=date.fromisoformat(r["day"]),
        slot_start=datetime.strptime(r["slot_start"], "%H:%M").time(),
        slot_end=datetime.strptime(r["slot_end"], "%H:%M").time(),
        code=r["code"],
        id_hash=r["id_hash"],
        name_masked=r["name_masked"],
        priority=Priority(r["priority"]),
        ticket_id=TicketId(r["ticket_id"]) if r["ticket_id"] else None,
    )


def evaluation_row(e: Evaluation) -> dict[str, Any]:
    return {
        "ticket_id": e.ticket_id,
        "number": e.number,
        "counter": e.counter,
        "staff": e.staff,
        "rating": e.rating,
        "at": e.at,
    }


def hall_row(s: HallState) -> dict[str, Any]:
    return {
        "id": 1,
        "open_day": s.open_day.isoformat() if s.open_day else None,
        "last_closed_day": s.last_closed_day.isoformat() if s.last_closed_day else None,
        "day_skips": s.day_skips,
        "recent_calls": json.dumps(list(s.recent_calls), ensure_ascii=False),
        "last_finished": json.dumps(s.last_finished),
        "projected_seq": s.last_seq,
    }


def load_state(conn: sqlite3.Connection, state: HallState) -> HallState:
    """Fill a fresh state from the tables (the open day's tickets, counters, catalog …)."""
    h = conn.execute("SELECT * FROM hall WHERE id = 1").fetchone()
    if h is None:
        return state  # nothing was ever committed
    state.open_day = date.fromisoformat(h["open_day"]) if h["open_day"] else None
    state.last_closed_day = (
        date.fromisoformat(h["last_closed_day"]) if h["last_closed_day"] else None
    )
    state.day_skips = h["day_skips"]
    # The tables hold the state as of `projected_seq` (hall/store/projection.py); the events
    # after it are applied again by the store. NULL: a row older than the column (migration
    # 5 fills it), or a rebuild in progress: as of the log's end.
    upto = h["projected_seq"]
    last = conn.execute(
        "SELECT seq, ts, h FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
        (upto if upto is not None else 2**62,),
    ).fetchone()
    if last is not None:
        state.last_seq, state.last_ts = last["seq"], last["ts"]
        state.chain_head = last["h"] or state.chain_head
    state.recent_calls = deque(json.loads(h["recent_calls"]), maxlen=state.rules.board_recent_calls)
    state.last_finished = {
        CounterId(k): TicketId(v) for k, v in json.loads(h["last_finished"]).items()
    }
    cat = conn.execute("SELECT * FROM catalog WHERE id = 1").fetchone()
    if cat is not None:
        state.catalog = parse_catalog(
            {"version": cat["version"], "services": json.loads(cat["services"])}
        )
    state.counters = {
        c.id: c for c in map(counter_from_row, conn.execute("SELECT * FROM counters ORDER BY pos"))
    }
    after = state.last_closed_day.isoformat() if state.last_closed_day else ""
    for r in conn.execute("SELECT * FROM tickets WHERE day > ? ORDER BY issued_seq", (after,)):
        t = ticket_from_row(r)
        state.put_ticket(t)
        state.by_number[(t.day, t.number)] = t.id
        state.issued_count[(t.day, t.service)] = state.issued_count.get((t.day, t.service), 0) + 1
        key = (t.day, t.prefix)
        state.serials[key] = max(state.serials.get(key, 0), t.serial)
    # Databases written before serials were derived from the tickets have a serials table.
    for r in conn.execute("SELECT * FROM serials WHERE day > ?", (after,)):
        key = (date.fromisoformat(r["day"]), r["prefix"])
        state.serials[key] = max(state.serials.get(key, 0), r["last"])
    for r in conn.execute("SELECT * FROM appointments WHERE day > ?", (after,)):
        a = appointment_from_row(r)
        state.appointments[a.id] = a
    open_ids = set(state.tickets)
    for r in conn.execute("SELECT * FROM evaluations"):
        if r["ticket_id"] in open_ids:
            state.evaluations[TicketId(r["ticket_id"])] = Evaluation(
                ticket_id=TicketId(r["ticket_id"]),
                number=r["number"],
                counter=CounterId(r["counter"]),
                staff=StaffId(r["staff"]) if r["staff"] else None,
                rating=r["rating"],
                at=r["at"],
            )
    for r in conn.execute("SELECT * FROM service_stats"):
        state.stats[ServiceCode(r["service"])] = ServiceStats(r["ewma_minutes"], r["samples"])
    for r in conn.execute("SELECT * FROM devices"):
        state.devices[r["device"]] = DeviceState(
            r["device"], r["kind"], bool(r["ok"]), r["state"], r["detail"], r["at"]
        )
    return state
