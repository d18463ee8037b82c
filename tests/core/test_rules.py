"""The queue rules, one by one, on the core in memory with an injected clock."""

from __future__ import annotations

from datetime import date

import pytest

from hall.core import commands as c
from hall.core import events as ev
from hall.core.engine import MemoryHall
from hall.core.errors import Refused
from hall.core.estimate import PRIOR_TICKETS, counter_minutes
from hall.core.model import Priority, TicketState
from hall.core.rules import AfterMax, Rules, TransferPosition
from hall.core.timekeeping import FixedClock
from tests.conftest import DAY, at, memory_hall


def refused(hall: MemoryHall, cmd: c.Command) -> Refused:
    with pytest.raises(Refused) as info:
        hall.execute(cmd)
    return info.value


def signed_in(hall: MemoryHall, *counters: str) -> None:
    for i, cid in enumerate(counters):
        hall.execute(c.SignIn(cid, str(2000 + i)))


def types(hall: MemoryHall, since: int = 0) -> list[str]:
    return [e.type for e in hall.log if e.seq > since]


# --- issuing --------------------------------------------------------------------------------


def test_numbers_run_per_prefix(hall: MemoryHall) -> None:
    numbers = [
        hall.execute(c.IssueTicket(s))["number"]
        for s in ["SB-001", "SB-002", "YB-001", "SB-001", "HY-001"]
    ]
    assert numbers == ["A001", "A002", "B001", "A003", "J001"]


def test_issue_result_says_ahead_and_estimate(hall: MemoryHall) -> None:
    first = hall.execute(c.IssueTicket("SB-001"))
    second = hall.execute(c.IssueTicket("SB-001"))
    assert first["waiting_ahead"] == 0 and second["waiting_ahead"] == 1
    assert second["est_wait_min"] is not None and second["est_wait_min"] > 0
    assert second["service_name"] == "社会保障卡申领"
    issued = [e for e in hall.log if e.type == ev.TICKET_ISSUED][-1]
    assert issued.data["day"] == "2026-11-27" and issued.data["waiting_ahead"] == 1
    assert issued.at.endswith("+08:00")


def test_width_and_widen_after_999(clock: FixedClock) -> None:
    hall = memory_hall(clock, Rules(number_width=2, after_max=AfterMax.WIDEN))
    numbers = [hall.execute(c.IssueTicket("ZX-001"))["number"] for _ in range(101)]
    assert numbers[0] == "Z01" and numbers[98] == "Z99" and numbers[99] == "Z100"
    assert len(set(numbers)) == 101


def test_refuse_after_max(clock: FixedClock) -> None:
    hall = memory_hall(clock, Rules(number_width=2, after_max=AfterMax.REFUSE))
    for _ in range(99):
        hall.execute(c.IssueTicket("ZX-001"))
    r = refused(hall, c.IssueTicket("ZX-001"))
    assert r.code == "numbers_exhausted" and "Z" in r.message


def test_outside_hours_refused_with_hours(clock: FixedClock) -> None:
    clock.t = at("12:30")
    hall = memory_hall(clock)
    r = refused(hall, c.IssueTicket("SB-001"))
    assert r.code == "outside_hours"
    assert "周一至周五 09:00-12:00、13:30-17:00" in r.message


def test_weekend_refused(clock: FixedClock) -> None:
    clock.t = at("10:00", date(2026, 11, 28))
    hall = memory_hall(clock)
    assert refused(hall, c.IssueTicket("SB-001")).code == "outside_hours"


def test_service_not_offered(hall: MemoryHall) -> None:
    assert refused(hall, c.IssueTicket("NOPE-1")).code == "service_not_offered"
    # In the catalog but no counter serves it here.
    r = refused(hall, c.IssueTicket("CRJ-001"))
    assert r.code == "service_not_offered" and "窗口" in r.message


def test_quota(hall: MemoryHall) -> None:
    quota = 60  # HY-001's daily quota in the sample catalog
    for _ in range(quota):
        hall.execute(c.IssueTicket("HY-001"))
    r = refused(hall, c.IssueTicket("HY-001"))
    assert r.code == "quota_reached" and "60" in r.message
    hall.execute(c.IssueTicket("SB-001"))  # other services go on


def test_refusal_changes_nothing(hall: MemoryHall) -> None:
    before = len(hall.log)
    refused(hall, c.IssueTicket("NOPE-1"))
    refused(hall, c.CallNext("1"))
    assert len(hall.log) == before


def test_no_clock_no_tickets(clock: FixedClock) -> None:
    clock.t = 0.0  # a board without a battery clock, first boot
    hall = memory_hall(clock)
    assert refused(hall, c.IssueTicket("SB-001")).code == "clock_not_set"


# --- calling --------------------------------------------------------------------------------


def test_call_next_in_arrival_order_and_explains(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1")
    for _ in range(3):
        hall.execute(c.IssueTicket("SB-001"))
        clock.advance(30)
    r = hall.execute(c.CallNext("1"))
    assert r["number"] == "A001" and r["counter_name"] == "1号窗口"
    assert r["reason"]["rule"] == "longest_wait"
    assert [a["number"] for a in r["reason"]["alternatives"]] == ["A002", "A003"]


def test_not_signed_in_and_unknown_counter(hall: MemoryHall) -> None:
    hall.execute(c.IssueTicket("SB-001"))
    assert refused(hall, c.CallNext("1")).code == "not_signed_in"
    assert refused(hall, c.CallNext("77")).code == "unknown_counter"


def test_empty_queue(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    r = refused(hall, c.CallNext("1"))
    assert (r.code, r.message) == ("queue_empty", "暂无等候")


def test_priority_first_but_ageing_protects_normal(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))  # A001 normal at 09:05
    clock.advance(10 * 60)
    hall.execute(c.IssueTicket("SB-001", priority=Priority.ELDERLY))  # A002 at 09:15
    r = hall.execute(c.CallNext("1"))
    assert r["number"] == "A002" and r["reason"]["rule"] == "priority"
    hall.execute(c.Finish("1"))
    clock.advance(25 * 60)  # 09:40: A001 has waited 35 minutes, more than the 30 of credit
    hall.execute(c.IssueTicket("SB-001", priority=Priority.PREGNANCY))  # A003
    r = hall.execute(c.CallNext("1"))
    assert r["number"] == "A001" and r["reason"]["rule"] == "longest_wait"


def test_counter_preference_with_ageing(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1")  # serves SB-001 first, SB-002 second
    hall.execute(c.IssueTicket("SB-002"))  # A001 at 09:05
    clock.advance(5 * 60)
    hall.execute(c.IssueTicket("SB-001"))  # A002 at 09:10
    r = hall.execute(c.CallNext("1"))
    assert r["number"] == "A002" and r["reason"]["rule"] == "preference"
    hall.execute(c.IssueTicket("SB-001"))  # A003 at 09:10: SB-002's A001 is 5 min older + 10
    clock.advance(11 * 60)
    hall.execute(c.IssueTicket("SB-001"))  # A004 at 09:21: now A001 (09:05+10) goes first
    hall.execute(c.Finish("1"))
    assert hall.execute(c.CallNext("1"))["number"] == "A003"
    assert hall.execute(c.CallNext("1"))["number"] == "A001"


def test_one_counter_per_ticket(hall: MemoryHall) -> None:
    signed_in(hall, "1", "2")
    hall.execute(c.IssueTicket("SB-001"))
    assert hall.execute(c.CallNext("1"))["number"] == "A001"
    assert refused(hall, c.CallNext("2")).code == "queue_empty"
    assert refused(hall, c.CallNumber("2", "A001")).code == "ticket_not_waiting"


def test_call_next_finishes_the_ticket_in_hand(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    seq = hall.state.last_seq
    hall.execute(c.CallNext("1"))
    assert types(hall, seq) == [ev.TICKET_FINISHED, ev.TICKET_CALLED]
    assert hall.log[-2].data["auto"] is True


def test_recall_limit(clock: FixedClock) -> None:
    hall = memory_hall(clock, Rules(max_recalls=2))
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    assert hall.execute(c.Recall("1"))["calls"] == 2
    assert hall.execute(c.Recall("1"))["calls"] == 3
    assert refused(hall, c.Recall("1")).code == "recall_limit"


def test_skip_only_after_k_calls_and_reinstate(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    r = refused(hall, c.Skip("1"))
    assert r.code == "skip_too_early" and "2" in r.message
    hall.execute(c.Recall("1"))
    hall.execute(c.Skip("1"))
    t = hall.state.ticket_by_number(DAY, "A001")
    assert t is not None and t.state is TicketState.SKIPPED
    assert refused(hall, c.CallNext("1")).code == "queue_empty"
    hall.execute(c.Reinstate("A001"))
    assert hall.execute(c.CallNext("1"))["number"] == "A001"


def test_call_number(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    for _ in range(3):
        hall.execute(c.IssueTicket("SB-001"))
    r = hall.execute(c.CallNumber("1", "a003"))
    assert r["number"] == "A003" and r["reason"]["rule"] == "by_number"
    assert refused(hall, c.CallNumber("1", "A999")).code == "unknown_ticket"


@pytest.mark.parametrize("position", [TransferPosition.KEEP, TransferPosition.FRONT])
def test_transfer_to_service(clock: FixedClock, position: TransferPosition) -> None:
    hall = memory_hall(clock, Rules(transfer_position=position))
    signed_in(hall, "1", "3")
    hall.execute(c.IssueTicket("SB-001"))  # A001
    clock.advance(60)
    hall.execute(c.IssueTicket("YB-001"))  # B001, one minute later
    hall.execute(c.CallNext("1"))
    hall.execute(c.Transfer("1", to_service="YB-001"))
    t = hall.state.ticket_by_number(DAY, "A001")
    assert t is not None and t.state is TicketState.WAITING and t.service == "YB-001"
    assert hall.state.counters["1"].current is None  # type: ignore[index]
    # keep: A001 arrived before B001; front: goes first anyway
    assert hall.execute(c.CallNext("3"))["number"] == "A001"


def test_transfer_to_counter_only_that_counter_calls(hall: MemoryHall) -> None:
    signed_in(hall, "1", "2", "10")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    hall.execute(c.Transfer("1", to_counter="10"))
    assert refused(hall, c.CallNext("2")).code == "queue_empty"
    r = hall.execute(c.CallNext("10"))
    assert r["number"] == "A001" and r["reason"]["rule"] == "transfer"


def test_transfer_errors(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    assert refused(hall, c.Transfer("1", to_service="YB-001")).code == "nothing_in_hand"
    hall.execute(c.CallNext("1"))
    assert refused(hall, c.Transfer("1")).code == "bad_transfer"
    assert refused(hall, c.Transfer("1", to_service="XX-9")).code == "unknown_service"
    assert refused(hall, c.Transfer("1", to_counter="1")).code == "bad_transfer"
    assert refused(hall, c.Transfer("1", to_counter="55")).code == "unknown_counter"


def test_hold_and_call_back(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    hall.execute(c.Start("1"))
    hall.execute(c.Hold("1"))
    counter = hall.state.counters["1"]  # type: ignore[index]
    assert counter.current is None and len(counter.held) == 1
    assert hall.execute(c.CallNext("1"))["number"] == "A002"
    hall.execute(c.Finish("1"))
    r = hall.execute(c.CallBack("1"))
    assert r["number"] == "A001" and r["reason"]["rule"] == "call_back"
    assert refused(hall, c.CallBack("1")).code == "nothing_held"


def test_pause_resume_and_sign_out(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.Pause("1"))
    assert refused(hall, c.CallNext("1")).code == "counter_paused"
    hall.execute(c.Resume("1"))
    hall.execute(c.CallNext("1"))
    assert refused(hall, c.SignOut("1")).code == "counter_busy"
    hall.execute(c.Finish("1"))
    hall.execute(c.SignOut("1"))
    assert types(hall)[-2:] == [ev.STAFF_LOGOUT, ev.COUNTER_CLOSED]


def test_sign_in_rules(hall: MemoryHall) -> None:
    hall.execute(c.SignIn("1", "1024"))
    assert hall.execute(c.SignIn("1", "1024")).get("already") is True
    assert refused(hall, c.SignIn("2", "1024")).code == "staff_elsewhere"
    assert refused(hall, c.SignIn("1", "2048")).code == "counter_taken"
    assert refused(hall, c.SignIn("2", "12ab")).code == "bad_staff_number"


def test_evaluation_once(hall: MemoryHall) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    hall.execute(c.Finish("1"))
    r = hall.execute(c.Evaluate("1", 5))
    assert r["number"] == "A001"
    e = hall.log[-1]
    assert e.type == ev.EVALUATION_SUBMITTED and e.data["rating"] == 5
    assert e.data["staff"] == "2000" and e.data["counter"] == "1"
    assert refused(hall, c.Evaluate("1", 1)).code == "already_rated"
    assert refused(hall, c.Evaluate("1", 9)).code == "bad_rating"


# --- appointments ---------------------------------------------------------------------------


def booking(
    aid: str, slot: str = "10:00", version: int = 1, status: str = "booked", day: str = "2026-11-27"
) -> c.ApplyAppointment:
    h, m = slot.split(":")
    end = (
        f"{int(h):02d}:{int(m) + 30:02d}" if int(m) < 30 else f"{int(h) + 1:02d}:{int(m) - 30:02d}"
    )
    return c.ApplyAppointment(
        {
            "id": aid,
            "version": version,
            "status": status,
            "service": "SB-001",
            "date": day,
            "slot_start": slot,
            "slot_end": end,
            "code": "48" + aid[-4:],
            "citizen": {"name_masked": "张*", "id_hash": "AB" * 32, "phone_tail": "5678"},
            "priority": "normal",
            "channel": "mini_program",
        }
    )


def test_appointment_versions(hall: MemoryHall) -> None:
    assert hall.execute(booking("AP1", version=2))["applied"] is True
    assert hall.execute(booking("AP1", version=1, slot="11:00"))["applied"] is False
    assert hall.execute(booking("AP1", version=2))["applied"] is False
    a = hall.state.appointments["AP1"]  # type: ignore[index]
    assert a.slot_start.strftime("%H:%M") == "10:00" and a.id_hash == "ab" * 32
    stored = next(e for e in hall.log if e.type == ev.APPOINTMENT_RECEIVED).data
    assert "phone_tail" not in str(stored)


@pytest.mark.parametrize(
    ("now", "timing", "source"),
    [
        ("09:40", "early", "appointment"),
        ("09:50", "on_time", "appointment"),
        ("10:14", "on_time", "appointment"),
        ("10:16", "late", "appointment_late"),
    ],
)
def test_appointment_window(clock: FixedClock, now: str, timing: str, source: str) -> None:
    hall = memory_hall(clock)
    hall.execute(booking("AP1", slot="10:00"))
    clock.t = at(now)
    hall.execute(c.IssueTicket("SB-001"))  # a walk-in who came first
    r = hall.execute(c.CheckIn(code="48AP1"))
    assert (r["timing"], r["source"]) == (timing, source)
    signed_in(hall, "1")
    first = hall.execute(c.CallNext("1"))["number"]
    if source == "appointment":
        assert first == r["number"]
    else:
        assert first != r["number"]


def test_appointment_too_early_wrong_day_cancelled(clock: FixedClock) -> None:
    hall = memory_hall(clock)
    hall.execute(booking("AP1", slot="16:00"))
    r = refused(hall, c.CheckIn(appointment_id="AP1"))
    assert r.code == "too_early" and "14:00" in r.message
    hall.execute(booking("AP2", day="2026-11-30"))
    assert refused(hall, c.CheckIn(appointment_id="AP2")).code == "appointment_not_today"
    hall.execute(booking("AP3", version=1))
    hall.execute(booking("AP3", version=2, status="cancelled"))
    assert refused(hall, c.CheckIn(appointment_id="AP3")).code == "appointment_cancelled"
    assert refused(hall, c.CheckIn(code="000000")).code == "appointment_not_found"


def test_check_in_by_id_hash_and_not_undone_by_cancel(hall: MemoryHall) -> None:
    hall.execute(booking("AP1", slot="09:30"))
    r = hall.execute(c.CheckIn(id_hash="AB" * 32))
    assert r["appointment_id"] == "AP1" and r["name_masked"] == "张*"
    hall.execute(booking("AP1", version=5, status="cancelled"))
    a = hall.state.appointments["AP1"]  # type: ignore[index]
    assert a.status.value == "checked_in" and a.version == 5
    again = refused(hall, c.CheckIn(appointment_id="AP1"))
    assert again.code == "already_checked_in" and r["number"] in again.message


def test_check_in_by_token_for_unknown_booking(hall: MemoryHall) -> None:
    token = {
        "id": "AP9",
        "hall": "410411-ZH01",
        "service": "SB-001",
        "date": "2026-11-27",
        "slot_start": "09:00",
        "slot_end": "09:30",
        "exp": 0,
    }
    r = hall.execute(c.CheckIn(token=token))
    assert r["appointment_id"] == "AP9" and r["source"] == "appointment"
    other = dict(token, id="AP8", hall="410402-XH01")
    assert refused(hall, c.CheckIn(token=other)).code == "appointment_other_hall"


def token_for(aid: str, slot: str = "10:00", day: str = "2026-11-27") -> dict[str, object]:
    """The claims of a signed QR token (the signature is checked before the command)."""
    h, m = slot.split(":")
    end = f"{int(h):02d}:{int(m) + 30:02d}" if int(m) < 30 else f"{int(h) + 1:02d}:00"
    return {
        "id": aid,
        "hall": "410411-ZH01",
        "service": "SB-001",
        "date": day,
        "slot_start": slot,
        "slot_end": end,
        "exp": 0,
    }


def test_a_token_never_overrides_the_booking_the_hall_holds(hall: MemoryHall) -> None:
    """Contract v1.1: the token is a key to the record, never newer than it."""
    hall.execute(booking("AP1", version=1))
    hall.execute(booking("AP1", version=2, status="cancelled"))
    r = refused(hall, c.CheckIn(token=token_for("AP1")))
    assert r.code == "appointment_cancelled"
    hall.execute(booking("AP2", version=1))
    hall.execute(booking("AP2", version=2, day="2026-11-30"))  # moved to Monday
    moved = refused(hall, c.CheckIn(token=token_for("AP2")))
    assert moved.code == "appointment_moved" and "11月30日" in moved.message
    hall.execute(booking("AP3", version=1, slot="09:30"))
    hall.execute(booking("AP3", version=2, slot="11:00"))  # moved to another slot today
    assert refused(hall, c.CheckIn(token=token_for("AP3", slot="09:30"))).code == (
        "appointment_moved"
    )
    ok = hall.execute(c.CheckIn(token=token_for("AP3", slot="11:00")))
    assert ok["appointment_id"] == "AP3" and ok["slot_start"] == "11:00"
    assert not [e for e in hall.log if e.type == ev.APPOINTMENT_RECEIVED and e.data.get("origin")]


def test_one_booking_one_ticket_also_by_token(hall: MemoryHall) -> None:
    first = hall.execute(c.CheckIn(token=token_for("AP9", slot="09:30")))
    again = refused(hall, c.CheckIn(token=token_for("AP9", slot="09:30")))
    assert again.code == "already_checked_in" and first["number"] in again.message
    hall.execute(booking("AP9", version=3, status="cancelled"))  # the city settles it
    assert refused(hall, c.CheckIn(token=token_for("AP9", slot="09:30"))).code == (
        "already_checked_in"
    )
    issued = [e for e in hall.log if e.type == ev.TICKET_ISSUED]
    assert len(issued) == 1


def test_quota_counts_check_ins_but_never_refuses_one(clock: FixedClock) -> None:
    hall = memory_hall(clock)
    quota = hall.state.catalog.get("SB-001").daily_quota  # type: ignore[union-attr]
    assert quota > 2
    for i in range(2):
        hall.execute(booking(f"AP{i}", slot="09:30"))
        hall.execute(c.CheckIn(appointment_id=f"AP{i}"))
    for _ in range(quota - 2):
        hall.execute(c.IssueTicket("SB-001"))
    assert refused(hall, c.IssueTicket("SB-001")).code == "quota_reached"
    hall.execute(booking("AP99", slot="09:30"))
    late = hall.execute(c.CheckIn(appointment_id="AP99"))  # the booking holds its place
    assert late["appointment_id"] == "AP99"


def test_a_double_press_does_not_finish_the_citizen_just_called(clock: FixedClock) -> None:
    hall = memory_hall(clock, Rules(double_press_seconds=3.0))
    signed_in(hall, "1")
    for _ in range(2):
        hall.execute(c.IssueTicket("SB-001"))
    first = hall.execute(c.CallNext("1"))
    clock.advance(0.03)  # a bouncing key: 30 ms later
    r = refused(hall, c.CallNext("1"))
    assert r.code == "just_called" and first["number"] in r.message
    assert not [e for e in hall.log if e.type == ev.TICKET_FINISHED]
    clock.advance(3.0)
    second = hall.execute(c.CallNext("1"))
    assert second["number"] != first["number"]
    finished = [e for e in hall.log if e.type == ev.TICKET_FINISHED]
    assert [e.data["number"] for e in finished] == [first["number"]]


# --- printing -------------------------------------------------------------------------------


def test_ticket_waits_for_its_print(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1")
    r = hall.execute(c.IssueTicket("SB-001", confirm_print=True))
    assert r["status"] == "printing"
    assert refused(hall, c.CallNext("1")).code == "queue_empty"
    hall.execute(c.ConfirmPrinted(r["ticket_id"]))
    assert hall.execute(c.CallNext("1"))["number"] == "A001"
    r2 = hall.execute(c.IssueTicket("SB-001", confirm_print=True))
    hall.execute(c.VoidTicket(r2["ticket_id"]))
    assert refused(hall, c.ConfirmPrinted(r2["ticket_id"])).code == "ticket_voided"
    r3 = hall.execute(c.IssueTicket("SB-001", confirm_print=True))
    clock.advance(61)
    assert hall.execute(c.Housekeep())["voided"] == [r3["number"]]
    assert r3["number"] == "A003"  # voided numbers are never issued again


# --- the day and the clock ------------------------------------------------------------------


def test_day_close_rule_and_totals(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1", "2")
    for _ in range(4):
        hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    hall.execute(c.Start("1"))  # A001 serving
    hall.execute(c.CallNext("2"))  # A002 called
    hall.execute(booking("AP1", slot="16:00"))
    seq = hall.state.last_seq
    hall.execute(c.CloseDay())
    closing = [e for e in hall.log if e.seq > seq]
    kinds = [(e.type, e.data.get("number") or e.data.get("appointment_id")) for e in closing]
    assert (ev.TICKET_FINISHED, "A001") in kinds
    assert (ev.TICKET_CANCELLED, "A002") in kinds and (ev.TICKET_CANCELLED, "A004") in kinds
    assert (ev.APPOINTMENT_NO_SHOW, "AP1") in kinds
    day_closed = closing[-1]
    assert day_closed.type == ev.DAY_CLOSED
    assert day_closed.data["issued"] == 4 and day_closed.data["finished"] == 1
    assert day_closed.data["cancelled"] == 3 and day_closed.data["appointment_no_shows"] == 1
    assert refused(hall, c.IssueTicket("SB-001")).code == "day_closed"


def test_midnight_rolls_the_day_and_numbers_restart(hall: MemoryHall, clock: FixedClock) -> None:
    hall.execute(c.IssueTicket("SB-001"))
    clock.t = at("09:00", date(2026, 11, 30))  # Monday
    r = hall.execute(c.IssueTicket("SB-001"))
    assert r["number"] == "A001" and r["day"] == "2026-11-30"
    closed = [e for e in hall.log if e.type == ev.DAY_CLOSED]
    assert len(closed) == 1 and closed[0].data["day"] == "2026-11-27" and closed[0].data["auto"]


def test_clock_jump_back_keeps_order_and_numbers(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "1")
    hall.execute(c.IssueTicket("SB-001"))
    clock.advance(120)
    last_ts = hall.log[-1].ts
    clock.jump_wall(-3 * 3600)  # NTP pulls the clock back three hours
    r = hall.execute(c.IssueTicket("SB-001"))
    assert r["number"] == "A002" and r["day"] == "2026-11-27"
    assert hall.log[-1].ts >= last_ts
    clock.t = 0.0  # the battery dies: 1970
    clock.advance(60)
    r3 = hall.execute(c.IssueTicket("SB-001"))
    assert r3["number"] == "A003" and r3["day"] == "2026-11-27"
    ts = [e.ts for e in hall.log]
    assert ts == sorted(ts)
    assert [hall.execute(c.CallNext("1"))["number"] for _ in range(3)] == ["A001", "A002", "A003"]


def test_estimate_learns_from_service_times(hall: MemoryHall, clock: FixedClock) -> None:
    signed_in(hall, "9")  # HY-001, avg 20 minutes in the catalog
    for _ in range(6):
        hall.execute(c.IssueTicket("HY-001"))
    before = hall.state.service_stats("HY-001").ewma_minutes
    for _ in range(5):
        hall.execute(c.CallNext("9"))
        hall.execute(c.Start("9"))
        clock.advance(5 * 60)
        hall.execute(c.Finish("9"))
    after = hall.state.service_stats("HY-001").ewma_minutes
    assert before == 20 and 5 < after < before
    # the estimate's counter time: the catalog's 20 minutes as PRIOR_TICKETS, and today's
    m = counter_minutes(hall.state, "HY-001")
    assert m == pytest.approx((PRIOR_TICKETS * 20 + 5 * 5) / (PRIOR_TICKETS + 5))
    est = hall.execute(c.IssueTicket("HY-001"))["est_wait_min"]
    assert est is not None and est < 20 and est <= round(1 * m) + 1


def test_device_reports_only_changes(hall: MemoryHall) -> None:
    fault = c.ReportDevice("kiosk-1/printer", "printer", ok=False, state="paper_out")
    hall.execute(fault)
    hall.execute(fault)
    hall.execute(c.ReportDevice("kiosk-1/printer", "printer", ok=True, state="ok"))
    assert [e.type for e in hall.log if e.type.startswith("device.")] == [
        ev.DEVICE_FAULT,
        ev.DEVICE_RECOVERED,
    ]
