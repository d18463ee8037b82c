"""The wait estimate on hand-made states (docs/QUEUE_RULES.md, "Estimated wait")."""

from __future__ import annotations

import itertools
import math

import pytest

from hall.core import commands as c
from hall.core.breaks import break_minutes
from hall.core.engine import MemoryHall
from hall.core.estimate import (
    IDLE_MINUTES,
    PRIOR_TICKETS,
    STALLED,
    counter_minutes,
    estimate_minutes,
    estimate_wait,
    passing,
    remaining_minutes,
    slot_time,
)
from hall.core.flow import Rates
from hall.core.model import Priority
from hall.core.sharing import other_work
from hall.core.state import new_state
from hall.core.timekeeping import FixedClock
from tests.conftest import HALL_ID, TZ, at, memory_hall

MIN = 60.0


def wait(hall: MemoryHall, service: str, ahead: int, **kw: float) -> float:
    w = estimate_wait(hall.state, service, ahead, **kw)
    assert w is not None
    return w


def test_unknown_when_no_counter_serves_it(hall: MemoryHall) -> None:
    assert estimate_minutes(hall.state, "BDC-001", 0) is None  # in the catalog, no counter


def test_before_any_counter_opens_those_ahead_are_shared(hall: MemoryHall) -> None:
    # SB-001 (8 minutes in the catalog) is served by counters 1, 2 and 10, none open yet
    assert wait(hall, "SB-001", 3) == pytest.approx(3 * 8 / 3)
    assert wait(hall, "SB-001", 0) == 0


def test_a_free_counter_calls_at_once(hall: MemoryHall) -> None:
    hall.execute(c.SignIn("9", "2001"))  # HY-001 only
    assert estimate_minutes(hall.state, "HY-001", 0) == 0


def test_one_busy_counter_waits_out_its_ticket_then_one_per_ticket(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("9", "2001"))
    hall.execute(c.IssueTicket("HY-001"))
    hall.execute(c.CallNext("9"))
    called = clock.t
    m = counter_minutes(hall.state, "HY-001")
    assert m == 20  # the catalog's time, nothing learned yet
    assert wait(hall, "HY-001", 0) == pytest.approx(m)  # the expected rest of a fresh ticket
    # the rest shrinks while the ticket runs, and is never below nothing
    later = [wait(hall, "HY-001", 0, now=called + k * 5 * MIN) for k in range(1, 8)]
    assert all(b < a for a, b in itertools.pairwise(later[:5]))
    assert all(w > 0 for w in later)
    # each ticket more ahead: one counter time more, once past the first
    steps = [wait(hall, "HY-001", n) for n in range(1, 6)]
    assert [b - a for a, b in itertools.pairwise(steps)] == pytest.approx([m] * 4)
    assert 1.8 * m < steps[0] < 2.2 * m


def test_more_counters_share_those_ahead(hall: MemoryHall) -> None:
    """SB-001 at counters 1, 2 and 10: three times the pace of one (all before noon)."""
    hall.execute(c.SignIn("1", "2001"))
    one = wait(hall, "SB-001", 20) - wait(hall, "SB-001", 10)
    hall.execute(c.SignIn("2", "2002"))
    hall.execute(c.SignIn("10", "2003"))
    three = wait(hall, "SB-001", 20) - wait(hall, "SB-001", 10)
    m = counter_minutes(hall.state, "SB-001")
    assert one == pytest.approx(10 * m)
    assert three == pytest.approx(10 * m / 3)


def test_counter_time_learns_from_today_no_shows_included(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("9", "2001"))
    for _ in range(3):
        hall.execute(c.IssueTicket("HY-001"))
    for minutes in (6, 9):  # served: from the call to the finish
        hall.execute(c.CallNext("9"))
        clock.advance(minutes * MIN)
        hall.execute(c.Finish("9"))
    hall.execute(c.CallNext("9"))  # a no-show: called, recalled a minute later, skipped
    clock.advance(MIN)
    hall.execute(c.Recall("9"))
    clock.advance(MIN)
    hall.execute(c.Skip("9"))
    st = hall.state
    assert st.flow.counter_time(st.open_day, "HY-001") == (pytest.approx(6 + 9 + 2), 3)
    assert st.service_stats("HY-001").ewma_minutes < 20  # learned, but not the prior:
    prior = 20  # the catalog's avg_minutes
    expected = (PRIOR_TICKETS * prior + 17) / (PRIOR_TICKETS + 3)
    assert counter_minutes(st, "HY-001") == pytest.approx(expected)


def test_a_counter_serves_what_it_ranks_first_before(hall: MemoryHall, clock: FixedClock) -> None:
    """Counter 1 serves SB-001, then SB-002 (10 minutes later in rank): an SB-002 ticket
    that has waited more than 10 minutes goes before a new SB-001 ticket."""
    hall.execute(c.SignIn("1", "2001"))
    hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))  # busy with A001
    hall.execute(c.IssueTicket("SB-002"))
    t0 = clock.t
    young = wait(hall, "SB-001", 0, now=t0 + 5 * MIN)
    old = wait(hall, "SB-001", 0, now=t0 + 11 * MIN)
    rest = remaining_minutes(11, counter_minutes(hall.state, "SB-001"))
    assert young < 8
    assert old == pytest.approx(rest + counter_minutes(hall.state, "SB-002"))


def test_later_arrivals_with_a_credit_pass_a_walk_in(clock: FixedClock) -> None:
    def hall_with(priorities: list[Priority]) -> MemoryHall:
        h = memory_hall(FixedClock(clock.t))
        h.execute(c.SignIn("9", "2001"))
        for p in priorities:
            h.execute(c.IssueTicket("HY-001", priority=p))
        return h

    plain = hall_with([Priority.NORMAL] * 6)
    mixed = hall_with([Priority.NORMAL] * 3 + [Priority.ELDERLY] * 3)
    r = mixed.state.flow.rates(mixed.state.open_day, "HY-001", mixed.state.last_ts)
    assert r.credited > 0 and r.credit_minutes == pytest.approx(30)
    # a new walk-in has 6 ahead in both halls; in the second, 绿色通道 tickets keep coming
    assert wait(mixed, "HY-001", 6) > wait(plain, "HY-001", 6) + 20


def pace(hall: MemoryHall, now: float) -> float:
    """Minutes five more tickets ahead add (m / lanes per ticket; all before noon)."""
    return wait(hall, "SB-001", 10, now=now) - wait(hall, "SB-001", 5, now=now)


def test_a_free_counter_that_lets_tickets_wait_is_no_lane(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("1", "2001"))
    hall.execute(c.SignIn("2", "2002"))
    for _ in range(3):
        hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))  # counter 2 stays free while A002 and A003 wait
    t0, m = clock.t, counter_minutes(hall.state, "SB-001")
    assert pace(hall, t0 + 1 * MIN) == pytest.approx(5 * m / 2)
    assert pace(hall, t0 + (IDLE_MINUTES + 1) * MIN) == pytest.approx(5 * m)


def test_a_ticket_in_hand_far_too_long_is_a_forgotten_finish(
    hall: MemoryHall, clock: FixedClock
) -> None:
    hall.execute(c.SignIn("1", "2001"))
    hall.execute(c.SignIn("2", "2002"))
    for _ in range(3):
        hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))
    t0, m = clock.t, counter_minutes(hall.state, "SB-001")
    clock.advance(2 * m * MIN)
    hall.execute(c.CallNext("2"))
    assert pace(hall, t0 + 2.5 * m * MIN) == pytest.approx(5 * m / 2)
    assert pace(hall, t0 + (STALLED + 0.5) * m * MIN) == pytest.approx(5 * m)


def test_passing() -> None:
    r = Rates(walk_in=1.0, credited=0.5, credit_minutes=30.0)
    assert passing(r, 0.0, 0.0, 20.0) == pytest.approx(0.5 * 20)  # only credited ones
    assert passing(r, 0.0, 0.0, 60.0) == pytest.approx(0.5 * 30)  # … within their credit
    assert passing(r, 10.0, 0.0, 60.0) == pytest.approx(1.0 * 10 + 0.5 * 40)  # ranked first
    assert passing(r, 0.0, 30.0, 60.0) == 0  # a 绿色通道 ticket: its peers do not pass it


def test_slot_time() -> None:
    assert slot_time([(0.0, 0.0), (0.0, 0.0)], 10.0, 1) == 0  # two free lanes, one ahead
    assert slot_time([(0.0, 10.0)], 10.0, 0) == pytest.approx(10.0)
    # a lane that first serves 5 minutes of other tickets
    assert slot_time([(5.0, 0.0)], 10.0, 0) == pytest.approx(5.0)
    many = [(0.0, float(r)) for r in range(1, 17)]
    assert 0 < slot_time(many, 20.0, 0) < 1.0  # the first of sixteen to finish


def test_remaining_minutes() -> None:
    assert remaining_minutes(0, 10) == 10
    values = [remaining_minutes(e, 10) for e in (1, 5, 10, 20)]
    assert values[0] > values[1] > values[2] > 0
    assert values[3] > 0 and math.isfinite(values[3])
    assert remaining_minutes(10_000, 10) >= 0


def test_the_flow_is_a_function_of_the_tickets(hall: MemoryHall, clock: FixedClock) -> None:
    """Loading the state from the tables puts the day's tickets as they stand, in issue
    order: the flow comes out the same as the one the events built."""
    hall.execute(c.SignIn("9", "2001"))
    for i in range(6):
        priority = Priority.ELDERLY if i % 3 else Priority.NORMAL
        hall.execute(c.IssueTicket("HY-001", priority=priority))
        clock.advance(2 * MIN)
    for _ in range(3):
        hall.execute(c.CallNext("9"))
        clock.advance(7 * MIN)
        hall.execute(c.Finish("9"))
    live = hall.state
    loaded = new_state(HALL_ID, TZ, live.rules)
    for t in sorted(live.tickets.values(), key=lambda t: t.issued_seq):
        loaded.put_ticket(t)
    assert loaded.flow == live.flow
    assert live.flow.counter_time(live.open_day, "HY-001") == (pytest.approx(21), 3)
    assert live.flow.rates(live.open_day, "HY-001", clock.t).credited > 0


# --- counters serving several services (hall/core/sharing.py) ----------------------------

A_FIRST = (("A", 0.0), ("B", 10.0))  # 10 minutes: the preference step
B_FIRST = (("B", 0.0), ("A", 10.0))
TENS = {"A": 10.0, "B": 10.0}


def test_two_groups_of_counters_work_through_their_own_first_service() -> None:
    """Two counters rank A first, two rank B first; both queues' heads waited alike. The A
    counters take no B ticket before the new A ticket (its key: now), the B ones keep to B."""
    lanes = [(A_FIRST, 0.0), (A_FIRST, 0.0), (B_FIRST, 0.0), (B_FIRST, 0.0)]
    work = other_work(lanes, "A", [-5.0, -4.0], 0.0, {"B": [-5.0, -4.0, -3.0]}, TENS, {})
    assert work == [0.0, 0.0, 10.0, 10.0]


def test_a_counter_helps_the_queue_left_a_step_behind() -> None:
    lanes = [(A_FIRST, 0.0)]
    assert other_work(lanes, "A", [], 0.0, {"B": [-30.0]}, TENS, {}) == [10.0]
    assert other_work(lanes, "A", [], 0.0, {"B": [-5.0]}, TENS, {}) == [0.0]


def test_later_arrivals_of_the_first_service_go_before() -> None:
    """A counter ranking B first, free in 6 minutes; a B walk-in every 10 minutes (the first
    at 5): it takes that one (key 5 < 0 + 10), not the next (key 15), then the A ticket."""
    rates = {"B": Rates(walk_in=0.1)}
    assert other_work([(B_FIRST, 6.0)], "A", [], 0.0, {}, TENS, rates) == [10.0]
    assert other_work([(B_FIRST, 0.0)], "A", [], 0.0, {}, TENS, rates) == [0.0]


def test_the_walk_gives_up_on_long_queues() -> None:
    lanes = [(A_FIRST, 0.0)]
    assert other_work(lanes, "A", [-3.0, -2.0, -1.0], 0.0, {}, TENS, {}, max_steps=3) is None
    assert other_work(lanes, "A", [-3.0, -2.0, -1.0], 0.0, {}, TENS, {}, max_steps=4) == [0.0]


def test_counters_that_rank_the_services_the_other_way_keep_to_their_own(
    hall: MemoryHall,
) -> None:
    """Counter 1 ranks SB-001 first, counter 2 SB-002. With SB-002 tickets waiting as long
    as the SB-001 ones, counter 2 serves one more SB-002 before it could turn to SB-001,
    and counter 1 none: not all the SB-002 tickets go first."""
    hall.execute(c.SignIn("1", "2001"))
    hall.execute(c.SignIn("2", "2002"))
    for _ in range(4):
        hall.execute(c.IssueTicket("SB-002"))
    for _ in range(2):
        hall.execute(c.IssueTicket("SB-001"))
    hall.execute(c.CallNext("1"))  # an SB-001 ticket
    hall.execute(c.CallNext("2"))  # an SB-002 ticket
    m1, m2 = counter_minutes(hall.state, "SB-001"), counter_minutes(hall.state, "SB-002")
    lanes = [(0.0, remaining_minutes(0, m1)), (m2, remaining_minutes(0, m2))]
    assert wait(hall, "SB-001", 1) == pytest.approx(slot_time(lanes, m1, 1))
    assert wait(hall, "SB-001", 1) < 2 * m1


# --- the break between two spans of the service's hours -----------------------------------


def test_a_call_after_the_lunch_break_waits_it_out(hall: MemoryHall) -> None:
    """The catalog's hours: 09:00–12:00 and 13:30–17:00."""
    st = hall.state
    assert break_minutes(st, "HY-001", at("11:50"), 5) == 0
    assert break_minutes(st, "HY-001", at("11:50"), 15) == pytest.approx(90)
    assert break_minutes(st, "HY-001", at("13:40"), 300) == 0  # no later span today
    hall.execute(c.SignIn("9", "2001"))
    before_noon = wait(hall, "HY-001", 2, now=at("10:00"))
    assert wait(hall, "HY-001", 2, now=at("11:30")) == pytest.approx(before_noon + 90)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_a_phone_ticket_not_yet_arrived_counts_as_a_share_of_a_place(
    clock: FixedClock, weight: float
) -> None:
    """Three tickets ahead, one of them a phone's whose citizen is not in the hall: the new
    ticket's estimate is that of 2 + weight tickets ahead (most such citizens are passed
    over); once the citizen has arrived, it is a whole place again."""
    from hall.core.rules import Rules

    hall = memory_hall(clock, Rules(remote_ahead_weight=weight))
    hall.execute(c.SignIn("1", "1024"))
    hall.execute(c.IssueTicket("SB-001"))
    clock.advance(30)
    far = hall.execute(
        c.IssueRemote(request_id="RT1", service="SB-001", id_hash="a" * 64, phone_tail="5678")
    )
    clock.advance(30)
    hall.execute(c.IssueTicket("SB-001"))
    clock.advance(30)
    with_away = wait(hall, "SB-001", 3)
    hall.execute(c.MarkArrived("geofence", ticket_id=far["ticket_id"]))
    two, three = wait(hall, "SB-001", 2), wait(hall, "SB-001", 3)  # all three in the hall
    assert two < three
    if weight == 0.0:
        assert with_away == pytest.approx(two)
    elif weight == 1.0:
        assert with_away == pytest.approx(three)
    else:
        assert two < with_away < three
