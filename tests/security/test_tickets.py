"""Ticket ids cannot be derived from the board: an HMAC with the hall's own secret (kept in
the store's meta table), which replays never need (the id is in the event)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from hall.core import commands as c
from hall.core.decide import ticket_id_for
from hall.core.timekeeping import FixedClock
from hall.store.read import HallReader
from hall.store.rebuild import compare_with_rebuild
from hall.store.store import HallStore
from tests.conftest import DAY, HALL_ID, at


def test_the_id_is_not_the_hash_of_what_the_board_shows(
    make_store: Callable[..., HallStore],
) -> None:
    store = make_store(FixedClock(at("09:30")))
    t = store.execute(c.IssueTicket("SB-001")).result
    public = hashlib.sha256(f"{HALL_ID}/{DAY.isoformat()}/{t['number']}".encode()).hexdigest()
    assert t["ticket_id"] != public[:24]
    assert len(t["ticket_id"]) == 24  # 96 bits


def test_each_hall_has_its_own_secret(tmp_path: Path, make_store: Callable[..., HallStore]) -> None:
    a = make_store(FixedClock(at("09:30")), name="a.db")
    b = make_store(FixedClock(at("09:30")), name="b.db")
    ta = a.execute(c.IssueTicket("SB-001")).result
    tb = b.execute(c.IssueTicket("SB-001")).result
    assert ta["number"] == tb["number"] and ta["ticket_id"] != tb["ticket_id"]
    with HallReader.open(tmp_path / "a.db") as reader:
        key = reader.meta("ticket_key")
    assert key is not None and len(bytes.fromhex(key)) == 32
    assert ticket_id_for(HALL_ID, DAY, ta["number"], key=bytes.fromhex(key)) == ta["ticket_id"]


def test_the_secret_stays_and_replays_reproduce_the_tables(
    tmp_path: Path, make_store: Callable[..., HallStore]
) -> None:
    store = make_store(FixedClock(at("09:30")))
    first = store.execute(c.IssueTicket("SB-001")).result
    store.execute(c.IssueTicket("YB-001"))
    key = store.state.ticket_key
    store.close()
    again = make_store(FixedClock(at("09:31")))
    assert again.state.ticket_key == key
    assert again.state.tickets[first["ticket_id"]].number == first["number"]
    assert compare_with_rebuild(again) == []
