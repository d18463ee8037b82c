"""云叫号 in the core: numbers from phones keep their place, are called only once their
citizen has arrived, are no-shows at `arrive_by`; each refusal of contract v1.1."""

from __future__ import annotations

import pytest

from hall.core import commands as c
from hall.core import events as ev
from hall.core.engine import MemoryHall
from hall.core.errors import Refused
from hall.core.rules import Rules
from hall.core.timekeeping import FixedClock
from hall.core.views import ProgressEstimates, board_view, progress_view, tracked_progress
from tests.conftest import CATALOG, at, memory_hall


def remote(rid: str, service: str = "SB-001", citizen: int = 1, **kw: object) -> c.IssueRemote:
    return c.IssueRemote(
        request_id=rid,
        service=service,
        id_hash=f"{citizen:064x}",
        phone_tail=f"{5670 + citizen}",
        **kw,  # type: ignore[arg-type]
    )


def refused(hall: MemoryHall, cmd: c.Command) -> Refused:
    with pytest.raises(Refused) as info:
        hall.execute(cmd)
    return info.value


def test_a_remote_ticket_keeps_its_place_but_is_called_only_once_arrived(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("1", "1024"))
    far = hall.execute(remote("RT1"))
    assert far["number"] == "A001" and far["waiting_ahead"] == 0
    assert far["arrive_by"].startswith("2026-11-27T10:05")  # issued 09:05, 60 minutes
    clock.advance(60)
    walk_in = hall.execute(c.IssueTicket("SB-001"))
    assert walk_in["waiting_ahead"] == 1  # the remote ticket is ahead, in the normal order
    called = hall.execute(c.CallNext("1"))
    assert called["number"] == "A002"  # passed over, not skipped
    t = hall.state.tickets[far["ticket_id"]]  # type: ignore[index]
    assert t.state.value == "waiting" and not t.arrived
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.MarkArrived("geofence", ticket_id=far["ticket_id"]))
    clock.advance(60)
    assert hall.execute(c.CallNext("1"))["number"] == "A001"  # its place: first
    arrived = [e for e in hall.log if e.type == ev.TICKET_ARRIVED]
    assert [(e.data["number"], e.data["how"]) for e in arrived] == [("A001", "geofence")]


def test_not_arrived_by_arrive_by_is_a_no_show(hall: MemoryHall, clock: FixedClock) -> None:
    r = hall.execute(remote("RT1"))
    clock.advance(59 * 60)
    assert hall.execute(c.Housekeep())["voided"] == []
    clock.advance(61)
    hall.execute(c.Housekeep())
    cancelled = [e.data for e in hall.log if e.type == ev.TICKET_CANCELLED]
    assert cancelled == [{"ticket_id": r["ticket_id"], "number": "A001", "reason": "no_show"}]
    late = refused(hall, c.MarkArrived("geofence", ticket_id=r["ticket_id"]))
    assert late.code == "no_show"
    t = hall.state.tickets[r["ticket_id"]]  # type: ignore[index]
    assert progress_view(hall.state, t)["status"] == "no_show"


def test_the_refusals_of_the_contract(clock: FixedClock) -> None:
    closed = [{**s, "remote": False} if s["code"] == "HY-001" else s for s in CATALOG["services"]]
    hall = memory_hall(clock, Rules(remote_limit_per_service=2))
    hall.execute(c.ApplyCatalog(version=CATALOG["version"] + 1, services=closed))
    assert refused(hall, remote("RT1", expires=clock.t - 1)).code == "expired"
    assert refused(hall, remote("RT2", service="XX-999")).code == "service_unknown"
    assert refused(hall, remote("RT3", service="HY-001")).code == "not_appointable_remotely"
    hall.execute(remote("RT4", citizen=1))
    assert refused(hall, remote("RT5", citizen=1)).code == "duplicate_citizen"
    assert hall.execute(remote("RT6", service="YB-001", citizen=1))["number"] == "B001"
    hall.execute(remote("RT7", citizen=2))
    assert refused(hall, remote("RT8", citizen=3)).code == "remote_limit"
    clock.t = at("12:30")
    assert refused(hall, remote("RT9", service="SB-002", citizen=4)).code == "outside_hours"
    hall.execute(c.CloseDay())
    clock.t = at("14:00")
    assert refused(hall, remote("RT10", citizen=5)).code == "day_closed"


def test_arrival_by_number_and_phone_tail_and_at_the_counter(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("1", "1024"))
    a = hall.execute(remote("RT1", citizen=1))
    b = hall.execute(remote("RT2", citizen=2))
    wrong = refused(hall, c.MarkArrived("kiosk", number=a["number"], phone_tail="0000"))
    assert wrong.code == "not_yours"
    ok = hall.execute(c.MarkArrived("kiosk", number=a["number"], phone_tail="5671"))
    assert ok["ticket_id"] == a["ticket_id"] and "already" not in ok
    assert hall.execute(c.MarkArrived("kiosk", number="A001", phone_tail="5671"))["already"]
    clock.advance(10)
    called = hall.execute(c.CallNumber("1", b["number"]))  # the citizen at the counter
    assert called["number"] == "A002"
    kinds = [(e.type, e.data.get("how")) for e in hall.log[-3:]]
    assert ("ticket.arrived", "counter") in kinds


def test_progress_says_approaching_within_the_threshold(
    hall: MemoryHall, clock: FixedClock
) -> None:
    for _ in range(5):
        hall.execute(c.IssueTicket("SB-001"))
    r = hall.execute(remote("RT1"))
    t = hall.state.tickets[r["ticket_id"]]  # type: ignore[index]
    view = progress_view(hall.state, t)
    assert view["status"] == "waiting" and view["waiting_ahead"] == 5
    assert view["approaching"] is False and "name" not in str(view)
    hall.execute(c.SignIn("1", "1024"))
    for _ in range(2):
        clock.advance(10)
        hall.execute(c.CallNext("1"))
    view = progress_view(hall.state, t)
    assert view["waiting_ahead"] == 3 and view["approaching"] is True
    board = board_view(hall.state)
    assert {s["code"]: s["on_the_way"] for s in board["services"]}["SB-001"] == 1


def test_a_paper_ticket_can_be_watched(hall: MemoryHall) -> None:
    r = hall.execute(c.IssueTicket("SB-001"))
    assert hall.execute(c.Watch(r["ticket_id"]))["status"] == "waiting"
    hall.execute(c.Watch(r["ticket_id"]))  # again: nothing new
    assert [e.type for e in hall.log].count(ev.TICKET_WATCHED) == 1
    assert hall.state.tickets[r["ticket_id"]].tracked  # type: ignore[index]
    assert refused(hall, c.Watch("nope")).code == "unknown_ticket"


def test_kept_estimates_are_the_fresh_ones_while_nothing_moved(
    hall: MemoryHall, clock: FixedClock
) -> None:
    """The hub's estimates kept between publications: the same views as computed afresh
    whenever a ticket's place changed or 30 s of hall time passed; recomputed only then."""
    hall.execute(c.SignIn("1", "1024"))
    ids = []
    for i in range(6):
        clock.advance(20)
        ids.append(hall.execute(remote(f"RT{i}", citizen=i))["ticket_id"])
        hall.execute(c.MarkArrived("geofence", ticket_id=ids[-1]))
    kept = ProgressEstimates()
    assert kept.views(hall.state) == tracked_progress(hall.state)
    first = kept.computed
    assert first == 6
    hall.execute(c.IssueTicket("SB-002"))  # nobody's place changed: nothing recomputed
    assert kept.views(hall.state) == tracked_progress(hall.state)
    assert kept.computed == first
    clock.advance(10)
    hall.execute(c.CallNext("1"))  # every place moved up: each estimate again
    views = kept.views(hall.state)
    assert views == tracked_progress(hall.state)
    assert kept.computed == first + 5
    clock.advance(31)
    hall.execute(c.IssueTicket("SB-002"))  # the next event, 31 s of hall time later
    assert kept.views(hall.state) == tracked_progress(hall.state)  # refreshed by time
    assert kept.computed == first + 10
