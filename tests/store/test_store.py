"""The store on real SQLite files: durability settings, restarts, idempotency, rebuild."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.rules import Rules
from hall.core.state import new_state
from hall.core.timekeeping import FixedClock
from hall.store.rebuild import compare_with_rebuild, replace_tables
from hall.store.schema import SCHEMA_VERSION, SchemaError
from hall.store.store import HallStore, StoreError
from tests.conftest import HALL_ID, TZ, at

MakeStore = Callable[..., HallStore]


def test_wal_and_full_sync(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_numbers_survive_restart_and_clock_jump(
    make_store: MakeStore, clock: FixedClock, tmp_path: Path
) -> None:
    s = make_store(clock)
    assert s.execute(c.IssueTicket("SB-001")).result["number"] == "A001"
    s.close()
    clock.jump_wall(-6 * 3600)  # rebooted with a wrong clock
    s2 = make_store(clock)
    assert s2.execute(c.IssueTicket("SB-001")).result["number"] == "A002"
    s2.close()
    clock.t = 0.0  # and then with no clock at all: after a restart it cannot know the day
    s3 = make_store(clock)
    with pytest.raises(Refused) as info:
        s3.execute(c.IssueTicket("SB-001"))
    assert info.value.code == "clock_not_set"
    s3.close()
    clock.t = at("10:00")  # set again: the open day goes on, numbers too
    s4 = make_store(clock)
    assert s4.execute(c.IssueTicket("SB-001")).result["number"] == "A003"


def test_idempotency_key_acts_once(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    s.execute(c.SignIn("1", "1024"))
    s.execute(c.IssueTicket("SB-001"))
    s.execute(c.IssueTicket("SB-001"))
    first = s.execute(c.CallNext("1"), idempotency_key="pad/1/3/777/5")
    again = s.execute(c.CallNext("1"), idempotency_key="pad/1/3/777/5")
    assert again.duplicate and again.result["number"] == first.result["number"] == "A001"
    assert again.events == ()
    # A refusal is remembered too: the same key press never acts later.
    s.execute(c.Finish("1"))
    s.execute(c.CallNext("1"))
    s.execute(c.Finish("1"))
    with pytest.raises(Refused) as r1:
        s.execute(c.CallNext("1"), idempotency_key="kiosk/abc")
    s.execute(c.IssueTicket("SB-001"))
    with pytest.raises(Refused) as r2:
        s.execute(c.CallNext("1"), idempotency_key="kiosk/abc")
    assert r1.value.code == r2.value.code == "queue_empty"
    assert r2.value.details.get("duplicate") is True


def test_two_processes_share_the_file(make_store: MakeStore, clock: FixedClock) -> None:
    hub = make_store(clock)
    shell = make_store(clock)  # e.g. `hall queue` from a technician's terminal
    assert hub.execute(c.IssueTicket("SB-001")).result["number"] == "A001"
    assert shell.execute(c.IssueTicket("SB-001")).result["number"] == "A002"
    assert hub.execute(c.IssueTicket("SB-001")).result["number"] == "A003"
    seqs = [e.seq for e in hub.events_since(0)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_rebuilt_tables_equal_live_tables(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    for i, cid in enumerate(["1", "2", "3", "9"]):
        s.execute(c.SignIn(cid, str(3000 + i)))
    for svc in ["SB-001", "SB-002", "YB-001", "HY-001"] * 5:
        s.execute(c.IssueTicket(svc))
        clock.advance(40)
    for _ in range(4):
        for cid in ["1", "2", "3", "9"]:
            s.execute(c.CallNext(cid))
            s.execute(c.Start(cid))
            clock.advance(300)
            s.execute(c.Finish(cid))
            s.execute(c.Evaluate(cid, 4))
    s.execute(c.CallNext("1"))
    s.execute(c.Hold("1"))
    s.execute(c.CallNext("2"))
    s.execute(c.Transfer("2", to_service="YB-001"))
    s.execute(c.ReportDevice("kiosk-1/printer", "printer", ok=False, state="paper_out"))
    assert compare_with_rebuild(s) == []  # the tables as far as they go (a batch behind)
    assert s.flush_tables() and s.unwritten_events == 0
    assert compare_with_rebuild(s) == []
    clock.t = at("09:10", date(2026, 11, 30))
    s.execute(c.IssueTicket("SB-001"))  # closes Friday
    s.flush_tables()
    assert compare_with_rebuild(s) == []
    # Damage a table; the rebuild notices and repairs it.
    s.conn.execute("UPDATE tickets SET state = 'waiting' WHERE number = 'A001'")
    assert compare_with_rebuild(s) != []
    replace_tables(s)
    assert compare_with_rebuild(s) == []


def test_wrong_hall_and_newer_schema_refused(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "h.db"
    HallStore(path, hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=clock).close()
    with pytest.raises(StoreError, match="belongs to hall 410411-ZH01"):
        HallStore(path, hall_id="410402-XH01", tz=TZ, rules=Rules(), clock=clock)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer than this software"):
        HallStore(path, hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=clock)


def test_no_personal_data_stored(make_store: MakeStore, clock: FixedClock) -> None:
    s = make_store(clock)
    s.execute(
        c.ApplyAppointment(
            {
                "id": "AP1",
                "version": 1,
                "status": "booked",
                "service": "SB-001",
                "date": "2026-11-27",
                "slot_start": "10:00",
                "slot_end": "10:30",
                "code": "482913",
                "citizen": {
                    "name_masked": "张*",
                    "id_hash": "9f" * 32,
                    "phone_tail": "5678",
                    "name": "张三",
                    "id_number": "410411199001011234",
                    "phone": "13800005678",
                },
            }
        )
    )
    dump = "\n".join(s.conn.iterdump())
    # random ids and hashes (uuids, hex) may hold "5678" by chance (one did once): not data
    dump = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "", dump)
    dump = re.sub(r"[0-9a-f]{24,}", "", dump)
    for secret in ("张三", "410411199001011234", "13800005678", "5678"):
        assert secret not in dump


def test_checkpoints_move_off_the_commits(make_store: MakeStore, clock: FixedClock) -> None:
    """With background checkpoints a commit never copies the WAL into the database file
    (its mark is far away); the checkpointer's own connection does, without blocking."""
    import time

    from hall.store.checkpoint import SAFETY_NET_PAGES

    s = make_store(clock)
    ck = s.checkpoint_in_background(interval=0.05)
    try:
        assert s.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_NET_PAGES
        before = s.path.stat().st_size
        for _ in range(60):
            s.execute(c.IssueTicket("SB-001"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and s.path.stat().st_size <= before:
            time.sleep(0.05)
        assert s.path.stat().st_size > before  # the tickets reached the database file
        assert ck.failures == 0 and ck.runs >= 1
        s.execute(c.IssueTicket("SB-001"))  # the writer goes on beside it
    finally:
        ck.stop()
    s.flush_tables()
    with sqlite3.connect(s.path) as other:
        assert other.execute("SELECT count(*) FROM tickets").fetchone()[0] == 61


def _tables_at(s: HallStore) -> tuple[int | None, int]:
    with sqlite3.connect(s.path) as other:
        upto = other.execute("SELECT projected_seq FROM hall").fetchone()
        tickets = other.execute("SELECT count(*) FROM tickets").fetchone()[0]
    return (upto[0] if upto else None), tickets


def test_a_busy_hall_carries_the_rows_in_a_command(
    make_store: MakeStore, clock: FixedClock
) -> None:
    """Without a tick, the command that finds FLUSH_EVENTS events waiting writes their rows
    in its own transaction; the tables are never ahead of the log."""
    from hall.store.projection import FLUSH_EVENTS

    s = make_store(clock)
    s.flush_tables()
    start, _ = _tables_at(s)
    for _ in range(FLUSH_EVENTS + 10):
        s.execute(c.IssueTicket("SB-001"))
    upto, tickets = _tables_at(s)
    assert upto is not None and start is not None and start < upto <= s.state.last_seq
    assert tickets == upto - start  # one ticket row per issue up to the batch
    assert s.unwritten_events < FLUSH_EVENTS
    assert compare_with_rebuild(s) == []


def test_rows_waiting_a_second_are_written_with_the_next_command() -> None:
    from hall.store.projection import FLUSH_SECONDS, Unwritten

    now = [100.0]
    u = Unwritten(clock=lambda: now[0])
    assert not u.due()
    u.take(new_state(HALL_ID, TZ, Rules()), {("meta", "")})
    assert not u.due()
    now[0] += FLUSH_SECONDS
    assert u.due()
    u.clear()
    assert not u.due() and u.events == 0 and u.since is None
