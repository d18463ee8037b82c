"""The read side (`hall.store.read`): every query runs on this software's schema, a
database of another schema version is refused in one clear line, and nothing can be
written through it."""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hall.core import commands as c
from hall.core.rules import Rules
from hall.core.timekeeping import FixedClock
from hall.store.db import open_db
from hall.store.read import LOG_TABLES, DatabaseMissing, HallReader, LogHead
from hall.store.schema import PROJECTION_TABLES, SCHEMA_VERSION, SchemaError, migrate
from hall.store.store import HallStore
from sync.outbox import Outbox, OutboxUnavailable
from tests.conftest import DAY, HALL_ID, TZ

MakeStore = Callable[..., HallStore]

# Every query of the read side, called as its users call it. A new query must be added
# here (test_every_query_is_listed), so it runs on a freshly migrated database.
QUERIES: dict[str, Callable[[HallReader], Any]] = {
    "quick_check": lambda r: r.quick_check(),
    "row_counts": lambda r: r.row_counts(),
    "meta": lambda r: r.meta("hall_id"),
    "hall_id": lambda r: r.hall_id(),
    "log_head": lambda r: r.log_head(),
    "last_seq": lambda r: r.last_seq(),
    "events_after": lambda r: r.events_after(0, 10),
    "events_between": lambda r: r.events_between(1, 10, 5),
    "iter_events": lambda r: list(r.iter_events(0, batch=2)),
    "counters": lambda r: r.counters(),
    "devices": lambda r: r.devices(),
    "latest_ticket_day": lambda r: r.latest_ticket_day(),
    "tickets_of_day": lambda r: r.tickets_of_day(DAY),
    "evaluations_of_day": lambda r: r.evaluations_of_day(DAY),
    "catalog": lambda r: r.catalog(),
}
NOT_QUERIES = {"open", "close", "require_current_schema"}


def fresh_database(path: Path) -> Path:
    conn = open_db(path)
    try:
        assert migrate(conn) == SCHEMA_VERSION
    finally:
        conn.close()
    return path


def test_every_query_is_listed() -> None:
    public = {
        name
        for name, member in inspect.getmembers(HallReader, callable)
        if not name.startswith("_")
    }
    assert public - NOT_QUERIES == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_runs_on_a_freshly_migrated_database(name: str, tmp_path: Path) -> None:
    with HallReader.open(fresh_database(tmp_path / "hall.db")) as reader:
        result = QUERIES[name](reader)
    empty: dict[str, Any] = {
        "quick_check": "ok",
        "row_counts": dict.fromkeys((*LOG_TABLES, *PROJECTION_TABLES), 0),
        "log_head": LogHead(0, None),
    }
    if name in empty:
        expected = empty[name]
        assert result == expected
    else:
        assert not result  # nothing in a new database


def test_the_read_side_knows_every_table(tmp_path: Path) -> None:
    conn = open_db(fresh_database(tmp_path / "hall.db"))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert tables == {*LOG_TABLES, *PROJECTION_TABLES}


def test_typed_rows_of_a_hall_at_work(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    s.execute(c.IssueTicket("SB-001"))
    s.execute(c.SignIn("1", "1024"))
    s.execute(c.CallNext("1"))
    clock.advance(300)
    s.execute(c.Finish("1"))
    s.execute(c.Evaluate("1", 5))
    s.execute(c.ReportDevice("kiosk-1/printer", "printer", False, "paper_out", "纸尽"))
    s.flush_tables()  # the rows follow the log in batches (the hub: every second)
    with HallReader.open(s.path) as r:
        assert r.hall_id() == HALL_ID
        head = r.log_head()
        assert head.last_seq == s.state.last_seq and head.last_ts == s.state.last_ts
        wire = [e.to_wire() for e in s.iter_events()]
        assert [e.wire() for e in r.iter_events(0, batch=3)] == wire
        assert [e.wire() for e in r.events_between(3, 5)] == wire[2:5]
        assert [e.seq for e in r.events_after(4, 2)] == [5, 6]
        assert r.latest_ticket_day() == DAY
        (t,) = r.tickets_of_day(DAY)
        assert (t.number, t.state, t.counter, t.staff) == ("A001", "finished", "1", "1024")
        assert t.finished_at is not None and t.issued_at < t.finished_at
        (e,) = r.evaluations_of_day(DAY)
        assert (e.ticket_id, e.rating, e.counter) == (t.id, 5, "1")
        counters = r.counters()
        assert [x.id for x in counters] == [str(k) for k in s.state.counters]
        assert counters[0].staff == "1024" and counters[0].services == ("SB-001", "SB-002")
        (d,) = r.devices()
        assert (d.device, d.ok, d.state) == ("kiosk-1/printer", False, "paper_out")
        catalog = r.catalog()
        assert catalog is not None and catalog.names()["SB-001"]
        counts = r.row_counts()
        assert counts["events"] == head.last_seq and counts["tickets"] == 1
        assert counts["idempotency"] == 0 and counts["meta"] == 2  # hall_id, ticket_key


def test_a_newer_schema_is_refused_in_one_clear_line(tmp_path: Path) -> None:
    db = fresh_database(tmp_path / "hall.db")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer than this software reads") as caught:
        HallReader.open(db)
    assert "\n" not in str(caught.value) and str(db) in str(caught.value)
    outbox = Outbox(db)
    with pytest.raises(OutboxUnavailable, match="newer than this software reads"):
        outbox.max_seq()  # sync sends nothing it may misread
    # The doctor opens any version to say which it is.
    with HallReader.open(db, current_schema=False) as r:
        assert r.schema_version == SCHEMA_VERSION + 1 and r.quick_check() == "ok"
        with pytest.raises(SchemaError):
            r.require_current_schema()


def test_older_or_no_schema_and_no_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(SchemaError, match="not a hall database"):
        HallReader.open(empty)
    with pytest.raises(DatabaseMissing, match="does not exist"):
        HallReader.open(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()
    with pytest.raises(OutboxUnavailable, match="is the hub set up"):
        Outbox(tmp_path / "nope.db").max_seq()


def test_nothing_can_be_written_through_it(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    with HallReader.open(s.path) as r, pytest.raises(sqlite3.OperationalError, match="readonly"):
        r.conn.execute("DELETE FROM events")
    assert s.state.last_seq == 2


@pytest.mark.parametrize("name", ["hall?mode=rw.db", "hall#1.db", "hall%20.db", "大厅.db"])
def test_any_file_name_opens_read_only(tmp_path: Path, name: str) -> None:
    s = HallStore(tmp_path / name, hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=FixedClock(1.8e9))
    s.close()
    with HallReader.open(tmp_path / name) as r:
        assert r.hall_id() == HALL_ID
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            r.conn.execute("DELETE FROM meta")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [name]
