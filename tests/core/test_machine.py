"""A Hypothesis state machine over the queue: random days on several counters.

Invariants after every step: no ticket in hand at two counters; numbers unique per prefix
and business day; seq gapless; nothing a calling counter serves waits forever (bounded by
the ageing rule); and at the end, tables rebuilt from the log equal the live tables.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.estimate import ahead_of
from hall.core.model import Priority, TicketState
from hall.core.rules import Rules
from hall.core.selection import candidates, waiting_for
from hall.core.timekeeping import FixedClock
from hall.store.rebuild import compare_with_rebuild
from hall.store.store import HallStore
from tests.conftest import CATALOG, COUNTERS, HALL_ID, TZ, at

COUNTER_IDS = [x["id"] for x in COUNTERS]
SERVICES = ["SB-001", "SB-002", "YB-001", "HY-001", "ZX-001"]
RULES = Rules()
MAX_RANK = max(len(x["services"]) for x in COUNTERS) - 1
# How much later than a waiting ticket another may arrive and still be called before it.
MAX_PASS_S = (
    max(
        RULES.priority_credit_minutes,
        RULES.appointment_credit_minutes
        + RULES.appointment_before_minutes
        + RULES.appointment_after_minutes,
    )
    + RULES.preference_step_minutes * MAX_RANK
) * 60


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.clock = FixedClock(at("09:00"))
        self.store = HallStore(
            Path(self.tmp.name) / "hall.db", hall_id=HALL_ID, tz=TZ, rules=RULES, clock=self.clock
        )
        self.store.setup(CATALOG, COUNTERS)
        self.refusals = 0
        self.results: dict[str, dict[str, object] | None] = {}
        self.requests: dict[str, c.IssueRemote] = {}
        self.sign_everyone_in()

    def sign_everyone_in(self) -> None:
        for i, cid in enumerate(COUNTER_IDS):
            self.run(c.SignIn(cid, str(1000 + i)))

    def teardown(self) -> None:
        try:
            diffs = compare_with_rebuild(self.store)  # the tables as far as they go
            assert not diffs, diffs
            self.store.flush_tables()
            diffs = compare_with_rebuild(self.store)
            assert not diffs, diffs
        finally:
            self.store.close()
            self.tmp.cleanup()

    def run(self, cmd: c.Command, key: str | None = None) -> dict[str, object] | None:
        try:
            return self.store.execute(cmd, idempotency_key=key).result
        except Refused:
            self.refusals += 1
            return None

    # 云叫号: numbers taken from phones; the same request may come again (a repeat, or the
    # city's resend after an outage), citizens arrive or never do.
    @rule(
        service=st.sampled_from(SERVICES),
        citizen=st.integers(0, 4),
        request=st.integers(0, 12),
    )
    def issue_remote(self, service: str, citizen: int, request: int) -> None:
        cmd = c.IssueRemote(
            request_id=f"RT{request}",
            service=service,
            id_hash=f"{citizen:064x}",
            phone_tail=f"{1000 + citizen}",
            expires=self.clock.t + 300,
        )
        key = f"remote/RT{request}"
        sent = self.requests.setdefault(key, cmd)
        if sent != cmd:  # the same request id with another body: refused, nothing changes
            before = self.store.state.last_seq
            with pytest.raises(Refused) as refused:
                self.store.execute(cmd, idempotency_key=key)
            assert refused.value.code == "key_reused"
            assert self.store.state.last_seq == before
            cmd = sent  # and the city's resend of the first one
        first = self.results.setdefault(key, self.run(cmd, key=key))
        again = self.run(cmd, key=key)
        assert again == first  # one request, one result

    @rule(pick=st.integers(0, 50))
    def arrive(self, pick: int) -> None:
        waiting = sorted(
            (t for t in self.store.state.tickets.values() if not t.arrived),
            key=lambda t: t.issued_seq,
        )
        if waiting:
            t = waiting[pick % len(waiting)]
            self.run(c.MarkArrived("geofence", ticket_id=t.id))

    @rule()
    def housekeep(self) -> None:
        self.run(c.Housekeep())

    @rule(
        service=st.sampled_from(SERVICES),
        priority=st.sampled_from(list(Priority)) | st.just(Priority.NORMAL),
    )
    def issue(self, service: str, priority: Priority) -> None:
        self.run(c.IssueTicket(service, priority=priority))

    @rule(counter=st.sampled_from(COUNTER_IDS), staff=st.integers(1000, 1006))
    def sign_in(self, counter: str, staff: int) -> None:
        self.run(c.SignIn(counter, str(staff)))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def sign_out(self, counter: str) -> None:
        self.run(c.SignOut(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def call_next_rule(self, counter: str) -> None:
        self.call_next(counter)

    def call_next(self, counter: str) -> None:
        cnt = self.store.state.counter(counter)
        before = {t.id: t for _k, _s, t in candidates(self.store.state, cnt)} if cnt else {}
        r = self.run(c.CallNext(counter))
        if r is None:
            return
        chosen = before[str(r["ticket_id"])]
        assert chosen.arrived, f"{chosen.number} called before its citizen arrived"
        # The ageing bound: a ticket is passed over only by tickets that arrived at most
        # MAX_PASS_S after it, so with finitely many arrivals nothing waits forever.
        for t in before.values():
            assert chosen.issued_at <= t.issued_at + MAX_PASS_S + 1e-6, (
                f"{chosen.number} called ahead of {t.number} which arrived "
                f"{chosen.issued_at - t.issued_at:.0f}s earlier"
            )

    # Calling and issuing are most of a hall's day: give them more of the steps.
    @rule(counter=st.sampled_from(COUNTER_IDS))
    def call_next_again(self, counter: str) -> None:
        self.call_next(counter)

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def call_next_once_more(self, counter: str) -> None:
        self.call_next(counter)

    @rule(service=st.sampled_from(SERVICES))
    def issue_normal(self, service: str) -> None:
        self.run(c.IssueTicket(service))

    @rule(
        counter=st.sampled_from(COUNTER_IDS),
        number=st.integers(1, 12),
        prefix=st.sampled_from("ABJZ"),
    )
    def call_number(self, counter: str, number: int, prefix: str) -> None:
        self.run(c.CallNumber(counter, f"{prefix}{number:03d}"))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def recall(self, counter: str) -> None:
        self.run(c.Recall(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def skip(self, counter: str) -> None:
        self.run(c.Skip(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def start(self, counter: str) -> None:
        self.run(c.Start(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def finish(self, counter: str) -> None:
        self.run(c.Finish(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def hold(self, counter: str) -> None:
        self.run(c.Hold(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def call_back(self, counter: str) -> None:
        self.run(c.CallBack(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS), to=st.sampled_from(SERVICES + COUNTER_IDS))
    def transfer(self, counter: str, to: str) -> None:
        if "-" in to:
            self.run(c.Transfer(counter, to_service=to))
        else:
            self.run(c.Transfer(counter, to_counter=to))

    @rule(counter=st.sampled_from(COUNTER_IDS))
    def pause_or_resume(self, counter: str) -> None:
        cnt = self.store.state.counter(counter)
        if cnt is not None and cnt.state.value == "paused":
            self.run(c.Resume(counter))
        else:
            self.run(c.Pause(counter))

    @rule(counter=st.sampled_from(COUNTER_IDS), rating=st.integers(1, 5))
    def evaluate(self, counter: str, rating: int) -> None:
        self.run(c.Evaluate(counter, rating))

    @rule(seconds=st.integers(1, 600))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(seconds=st.integers(-7200, 7200))
    def clock_jumps(self, seconds: int) -> None:
        self.clock.jump_wall(seconds)

    @rule()
    def tables_written(self) -> None:
        """The hub's tick: the rows of the events since the last batch."""
        self.store.flush_tables()

    @rule()
    def crash_and_restart(self) -> None:
        """The process dies with rows not yet in the tables; the next store applies the
        events they lack and has the same hall."""
        old = self.store.state
        self.store.conn.close()  # no close(): nothing is flushed
        self.store = HallStore(
            Path(self.tmp.name) / "hall.db", hall_id=HALL_ID, tz=TZ, rules=RULES, clock=self.clock
        )
        new = self.store.state
        assert (new.last_seq, new.chain_head, new.last_ts) == (
            old.last_seq,
            old.chain_head,
            old.last_ts,
        )
        assert new.tickets == old.tickets and new.counters == old.counters
        assert (new.open_day, new.last_closed_day, new.serials) == (
            old.open_day,
            old.last_closed_day,
            old.serials,
        )
        assert new.appointments == old.appointments and new.devices == old.devices
        assert list(new.recent_calls) == list(old.recent_calls)

    @precondition(lambda self: self.store.state.open_day is not None)
    @rule()
    def next_day(self) -> None:
        self.clock.advance(24 * 3600)
        if self.store.state.day_of(self.clock.t).isoweekday() > 5:
            self.clock.advance(2 * 24 * 3600)
        self.clock.t = at("09:00", self.store.state.day_of(self.clock.t))
        self.run(c.IssueTicket("SB-001"))  # the first command of the day closes the last one
        self.sign_everyone_in()

    @invariant()
    def one_counter_per_ticket(self) -> None:
        state = self.store.state
        in_hand: dict[str, str] = {}
        for cnt in state.counters.values():
            for tid in ([cnt.current] if cnt.current else []) + list(cnt.held):
                assert tid not in in_hand, f"{tid} at {in_hand.get(tid)} and {cnt.id}"
                in_hand[tid] = cnt.id
                assert state.tickets[tid].state.in_hand
        for t in state.tickets.values():
            if t.state in (TicketState.CALLED, TicketState.SERVING, TicketState.HELD):
                assert in_hand.get(t.id) == t.counter

    @invariant()
    def indexes_agree_with_a_full_scan(self) -> None:
        """The waiting index (hall.core.waiting) gives what scanning every ticket gives."""
        state = self.store.state
        waiting = [t for t in state.tickets.values() if t.state is TicketState.WAITING]
        assert sorted(t.id for t in state.waiting()) == sorted(t.id for t in waiting)
        for code, queue in state.waiting_index.by_service.items():  # phones not yet arrived
            assert queue.away == sum(1 for t in waiting if t.service == code and not t.arrived)
        step = RULES.preference_step_minutes * 60.0
        for cnt in state.counters.values():
            brute = []
            ranks = {code: r for r, code in reversed(list(enumerate(cnt.spec.services)))}
            on_the_way = 0
            for t in waiting:
                if t.day != state.open_day:
                    continue
                entry = None
                if t.target_counter is not None:
                    if t.target_counter == cnt.id:
                        entry = (t.order_key, t.issued_seq, t.id)
                elif t.service in ranks:
                    entry = (t.order_key + ranks[t.service] * step, t.issued_seq, t.id)
                if entry is not None and t.arrived:
                    brute.append(entry)
                elif entry is not None:
                    on_the_way += 1  # keeps its place, passed over until it arrives
            brute.sort(key=lambda x: (x[0], x[1]))
            assert [(k, s, t.id) for k, s, t in candidates(state, cnt)] == brute
            assert waiting_for(state, cnt) == len(brute) + on_the_way
        for t in waiting:
            same = [u for u in waiting if u.service == t.service and u.id != t.id]
            assert ahead_of(state, t) == sum(
                (u.order_key, u.issued_seq) < (t.order_key, t.issued_seq) for u in same
            )

    @invariant()
    def remote_rules_hold(self) -> None:
        state = self.store.state
        for t in state.tickets.values():
            if t.state in (TicketState.CALLED, TicketState.SERVING, TicketState.FINISHED):
                assert t.arrived or t.counter is None, f"{t.number} served, never arrived"
        per_request = self.store.conn.execute(  # the tables as far as they go
            "SELECT request_id, count(*) FROM tickets WHERE request_id IS NOT NULL "
            "GROUP BY request_id HAVING count(*) > 1"
        ).fetchall()
        assert not per_request  # each request gives at most one ticket
        # one per citizen and service as issued (staff may transfer a citizen's ticket to a
        # service where the citizen also holds one: their choice, not the phone's)
        waiting_remote = [
            (t.id_hash, t.service, t.day)
            for t in state.tickets.values()
            if t.request_id and t.state is TicketState.WAITING and not t.transfers
        ]
        assert len(waiting_remote) == len(set(waiting_remote))

    @invariant()
    def numbers_unique_and_seq_gapless(self) -> None:
        conn = self.store.conn
        dup = conn.execute(  # the tables as far as they go (a batch behind the log)
            "SELECT day, number, count(*) FROM tickets GROUP BY day, number HAVING count(*) > 1"
        ).fetchall()
        assert not dup
        lo, hi, n = conn.execute("SELECT min(seq), max(seq), count(*) FROM events").fetchone()
        assert lo == 1 and hi == n == self.store.state.last_seq


QueueMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestQueueMachine = QueueMachine.TestCase
