"""The events-up state machine against a simulated city that keeps the contract's v1.1 rules
(in-order storage only: a batch past `acked_through + 1` is answered with the current ack and
not stored), with an injected clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.mqttvalues import Ack
from sync.outbox import Batch, event_json
from sync.sender import EventSender
from sync.settings import SenderSettings

HALL = "410411-ZH01"


class FakeOutbox:
    def __init__(self, n: int = 0) -> None:
        self.top = n

    def max_seq(self) -> int:
        return self.top

    def batch(
        self, hall_id: str, first: int, last: int, *, max_events: int, max_bytes: int
    ) -> Batch | None:
        last = min(last, self.top, first + max_events - 1)
        if last < first:
            return None
        events = ",".join(
            event_json(s, f"id{s}", "ticket.issued", "2026-11-27T09:00:00.000+08:00", "{}")
            for s in range(first, last + 1)
        )
        data = (
            f'{{"v":1,"hall_id":"{hall_id}","first_seq":{first},"last_seq":{last},'
            f'"events":[{events}]}}'
        )
        return Batch(first, last, last - first + 1, data.encode())


class FakeStore:
    def __init__(self, acked: int = 0) -> None:
        self.acked = acked
        self.rejected: list[dict[str, Any]] = []

    def set_acked(self, value: int) -> None:
        self.acked = value

    def add_rejected(self, items: list[dict[str, Any]]) -> int:
        self.rejected += items
        return len(items)


class City:
    """The contract's city: stores in order only, answers every batch with acked_through."""

    def __init__(self) -> None:
        self.have: list[int] = []
        self.received: list[tuple[int, int]] = []
        self.refused_past_gap = 0

    @property
    def acked(self) -> int:
        return len(self.have)

    def take(self, data: bytes) -> int:
        batch = json.loads(data)
        first, last = batch["first_seq"], batch["last_seq"]
        self.received.append((first, last))
        if first > self.acked + 1:
            self.refused_past_gap += 1
            return self.acked
        self.have += [e["seq"] for e in batch["events"] if e["seq"] > self.acked]
        return self.acked


class Rig:
    def __init__(self, n: int = 0, acked: int = 0, **settings: Any) -> None:
        self.t = 100.0
        self.outbox = FakeOutbox(n)
        self.store = FakeStore(acked)
        self.city = City()
        self.wire: list[bytes] = []
        self.pubacks: list[Ack | bool] = []
        self.ahead: list[tuple[int, int]] = []
        self.refusals: list[str] = []
        self.accepted = 0
        self.sender = EventSender(
            HALL,
            self.outbox,
            self.store,
            self._publish,
            SenderSettings(**{"backlog_rate": 0, **settings}),
            clock=lambda: self.t,
            on_ack_ahead=lambda a, b: self.ahead.append((a, b)),
            on_refused=self.refusals.append,
            on_accepted=self._accepted,
        )

    @property
    def acked(self) -> int:
        """The mark as sync's SQLite has it (saved now: the sender saves it lazily)."""
        self.sender.flush()
        return self.store.acked

    def _accepted(self) -> None:
        self.accepted += 1

    def _publish(self, data: bytes) -> Ack | bool:
        self.wire.append(data)
        return self.pubacks.pop(0) if self.pubacks else True

    def deliver(self, drop: set[int] | None = None) -> None:
        """The city receives what is on the wire (except dropped indexes) and answers."""
        msgs, self.wire = self.wire, []
        for i, m in enumerate(msgs):
            if drop and i in drop:
                continue
            self.sender.on_ack(self.city.take(m))

    def run(self, rounds: int = 400) -> None:
        for _ in range(rounds):
            self.sender.pump()
            if not self.wire:
                return
            self.deliver()


def firsts(wire: list[bytes]) -> list[int]:
    return [json.loads(m)["first_seq"] for m in wire]


def connected(rig: Rig) -> Rig:
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    return rig


def test_backlog_goes_in_batches_within_limits_and_is_done_only_on_ack() -> None:
    rig = connected(Rig(1234, batch_max_events=500, max_inflight_batches=2))
    rig.sender.pump()
    assert firsts(rig.wire) == [1, 501]  # window of 2
    assert rig.acked == 0  # a PUBACK is not an ack
    rig.run()
    assert rig.acked == 1234
    assert rig.city.received[:3] == [(1, 500), (501, 1000), (1001, 1234)]
    assert rig.city.refused_past_gap == 0


def test_backlog_waits_for_the_cloud_to_say_online() -> None:
    rig = Rig(100)
    rig.sender.on_connected()
    rig.sender.pump()
    assert rig.wire == []
    rig.sender.on_cloud_status(True)
    rig.run()
    assert rig.acked == 100


def test_without_a_backlog_live_events_go_while_the_cloud_is_offline() -> None:
    rig = Rig(0)
    rig.sender.on_connected()
    rig.outbox.top = 3
    rig.run()
    assert rig.acked == 3


def test_live_events_follow_right_behind_the_backlog_never_past_it() -> None:
    rig = connected(
        Rig(3000, batch_max_events=500, max_inflight_batches=8, backlog_inflight_batches=2)
    )
    rig.sender.pump()
    rig.outbox.top = 3001  # something happens in the hall now
    rig.sender.pump()
    assert firsts(rig.wire) == [1, 501]  # the backlog's bound: the live event waits behind it
    rig.run()
    assert rig.acked == 3001
    assert rig.city.received[-1] == (3001, 3001)
    assert rig.city.refused_past_gap == 0  # nothing was ever sent past the city's ack


def test_a_lost_batch_is_sent_again_on_the_citys_answer_without_waiting() -> None:
    rig = connected(Rig(1000, batch_max_events=100, max_inflight_batches=4))
    rig.sender.pump()
    assert firsts(rig.wire) == [1, 101, 201, 301]
    rig.deliver(drop={1})  # 101..200 lost: the city answers 201.. and 301.. with 100
    assert rig.sender.stats["go_back"] == 1
    assert rig.sender.stats["timeouts"] == 0
    assert firsts(rig.wire) == []
    rig.sender.pump()  # at once, from 101, no clock moved
    assert firsts(rig.wire)[0] == 101
    rig.run()
    assert rig.acked == 1000 and rig.city.have == list(range(1, 1001))
    assert rig.sender.stats["go_back"] == 1  # the second stale answer was not a new gap
    assert rig.sender.stats["timeouts"] == 0


def test_live_events_keep_flowing_behind_the_resent_ones() -> None:
    rig = connected(Rig(10, batch_max_events=100))
    rig.run()
    for n in range(11, 31):  # one live event at a time, each its own batch
        rig.outbox.top = n
        rig.sender.pump()
    rig.deliver(drop={0})  # the batch of event 11 is lost: 12..30 are answered with 10
    rig.sender.pump()
    assert firsts(rig.wire) == [11]  # sent again at once, with everything behind it
    assert json.loads(rig.wire[0])["last_seq"] == 30
    rig.outbox.top = 31
    rig.run()
    assert rig.acked == 31
    assert rig.sender.stats["timeouts"] == 0


def test_an_ack_above_what_was_sent_is_a_fault_never_a_skip() -> None:
    rig = connected(Rig(200, batch_max_events=100))
    rig.run()
    rig.outbox.top = 250
    rig.sender.on_ack(200 + 5000)  # a city bug, or a restored hall database
    assert rig.ahead == [(5200, 200)]
    assert rig.acked == 200 and rig.sender.stats["ack_ahead"] == 1
    rig.run()
    assert rig.acked == 250  # the next events were sent and acked
    assert rig.city.have == list(range(1, 251))
    assert rig.sender.backlog() == 0


def test_the_bound_counts_what_a_previous_run_may_have_sent() -> None:
    """After a restart, acks for batches the previous process sent may still arrive (the
    broker kept them in the session): up to the log's head at start they are progress."""
    rig = Rig(500, acked=100)
    rig.sender.on_ack(400)  # answered to the previous process
    assert rig.sender.acked == 400 and rig.ahead == []
    assert rig.store.acked == 100  # saved lazily (an fsync per ack would slow the replay)
    assert rig.acked == 400
    rig.sender.on_ack(501)
    assert rig.ahead == [(501, 500)] and rig.acked == 400


def test_a_mark_past_the_log_is_the_same_fault_and_the_mark_comes_back() -> None:
    rig = Rig(50, acked=5000)  # sync.db kept, hall.db restored from an older copy
    assert rig.ahead == [(5000, 50)]
    assert rig.acked == 50
    connected(rig)
    rig.outbox.top = 60
    rig.sender.pump()
    assert firsts(rig.wire) == [51]  # the events after the log's head are sent, not skipped


def test_timeout_when_the_last_batch_and_its_answer_are_lost() -> None:
    rig = connected(Rig(150, batch_max_events=100, ack_timeout_s=5.0))
    rig.sender.pump()
    rig.deliver(drop={1})  # the last batch never arrives: nobody answers
    assert rig.acked == 100
    rig.sender.pump()
    assert rig.wire == []  # nothing came after it: no answer to read yet
    rig.t += 6.0
    rig.run()
    assert rig.sender.stats["timeouts"] == 1
    assert rig.acked == 150


def test_city_behind_its_own_ack_gets_everything_again() -> None:
    rig = connected(Rig(300, batch_max_events=100))
    rig.run()
    rig.city = City()  # the city restored an old backup: it has nothing
    rig.outbox.top = 301
    rig.run()
    assert rig.acked == 301
    assert rig.city.have == list(range(1, 302))
    assert rig.sender.stats["city_behind"] == 1


def test_resend_command_sends_from_the_given_seq() -> None:
    rig = connected(Rig(300, batch_max_events=100))
    rig.run()
    rig.city.received.clear()
    rig.sender.rewind_to(90)
    rig.run()
    assert rig.city.received[0][0] == 90
    assert rig.acked == 300


def test_reconnect_sends_everything_not_acked_again() -> None:
    rig = connected(Rig(250, batch_max_events=100))
    rig.sender.pump()
    rig.wire.clear()  # the link died with three batches in flight
    rig.sender.on_disconnected()
    assert rig.sender.pump() is False
    rig.sender.on_connected()
    rig.run()
    assert rig.acked == 250


def test_rejected_events_are_kept_and_do_not_block() -> None:
    rig = connected(Rig(10))
    rig.sender.pump()
    rig.wire.clear()
    rig.sender.on_ack(10, [{"seq": 4, "code": "unknown_service", "reason": "x"}])
    assert rig.acked == 10
    assert rig.store.rejected == [{"seq": 4, "code": "unknown_service", "reason": "x"}]


def test_a_refused_publish_is_reported_and_tried_again_slowly() -> None:
    rig = connected(Rig(1000, batch_max_events=100, refused_retry_s=60.0))
    pubacks = [Ack() for _ in range(20)]
    rig.pubacks = list(pubacks)
    rig.sender.pump()
    assert len(rig.wire) == 4  # the window, before any PUBACK came back
    for ack in pubacks:
        ack.complete(("Not authorized",), True)
    rig.wire.clear()
    rig.sender.pump()  # reads the PUBACKs
    assert rig.refusals == ["Not authorized"] and rig.sender.refusal.reason == "Not authorized"
    assert rig.wire == []
    rig.t += 30.0
    assert rig.sender.pump() is False  # nothing before refused_retry_s
    rig.t += 31.0
    rig.sender.pump()
    assert len(rig.wire) == 1  # one batch at a time while refused
    rig.wire.clear()
    rig.sender.pump()
    assert rig.refusals == ["Not authorized"] * 2 and rig.wire == []  # refused again: wait
    ok = Ack()
    rig.pubacks = [ok]
    rig.t += 61.0
    rig.sender.pump()
    assert len(rig.wire) == 1
    ok.complete(("Success",), False)
    rig.sender.pump()
    assert rig.accepted == 1 and rig.sender.refusal.reason == ""
    assert len(rig.wire) == 4  # the whole window again
    rig.pubacks = []
    rig.run()
    assert rig.acked == 1000


def test_slow_sends_one_batch_and_waits_the_retry_interval() -> None:
    rig = connected(Rig(1000, batch_max_events=100, ack_timeout_s=5, refused_retry_s=60))
    rig.sender.refusal.slow = True
    rig.sender.pump()
    assert len(rig.wire) == 1
    rig.wire.clear()  # never answered (MQTT 3.1.1 with another hall's certificate)
    rig.t += 10
    rig.sender.pump()
    assert rig.wire == []  # not after ack_timeout_s: after refused_retry_s
    rig.t += 51
    rig.sender.pump()
    assert len(rig.wire) == 1


def test_backlog_rate_is_bounded() -> None:
    rig = connected(Rig(10_000, batch_max_events=500, backlog_rate=1000, max_inflight_batches=64))
    sent = 0
    for _ in range(10):  # ten simulated seconds
        rig.sender.pump()
        sent += sum(json.loads(m)["last_seq"] - json.loads(m)["first_seq"] + 1 for m in rig.wire)
        rig.deliver()
        rig.t += 1.0
    assert 9_000 <= sent <= 11_000


@pytest.mark.parametrize("dup_every", [1, 2, 3])
def test_duplicated_acks_never_lose_events(dup_every: int) -> None:
    rig = connected(Rig(2000, batch_max_events=50, max_inflight_batches=8))
    for i in range(500):
        rig.sender.pump()
        msgs, rig.wire = rig.wire, []
        for m in msgs:
            a = rig.city.take(m)
            rig.sender.on_ack(a)
            if i % dup_every == 0:
                rig.sender.on_ack(a)  # the same ack again (a redelivery)
        rig.t += 0.1
        if rig.sender.acked == 2000:
            break
    assert rig.acked == 2000


OPS = ("pump", "deliver", "drop", "dup", "reconnect", "tick", "live", "cloud", "stale_ack")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 20)), max_size=80))
def test_the_sender_always_gets_everything_acked_once_the_faults_stop(
    script: list[tuple[str, int]],
) -> None:
    rig = Rig(
        700,
        batch_max_events=100,
        max_inflight_batches=4,
        backlog_inflight_batches=2,
        ack_timeout_s=5.0,
        backlog_rate=300,
    )
    connected(rig)
    for op, n in script:
        if op == "pump":
            rig.sender.pump()
        elif op == "deliver" and rig.wire:
            rig.sender.on_ack(rig.city.take(rig.wire.pop(0)))
        elif op == "drop" and rig.wire:
            rig.wire.pop(n % len(rig.wire))
        elif op == "dup" and rig.wire:
            rig.wire.append(rig.wire[n % len(rig.wire)])
        elif op == "reconnect":
            rig.sender.on_disconnected()
            rig.sender.on_connected()
        elif op == "tick":
            rig.t += n * 0.5
        elif op == "live":
            rig.outbox.top += n
        elif op == "cloud":
            rig.sender.on_cloud_status(n % 3 != 0)
        elif op == "stale_ack":
            rig.sender.on_ack(max(0, rig.city.acked - n * 10))
    rig.sender.on_cloud_status(True)
    for _ in range(400):  # the faults stop; time goes on
        rig.sender.pump()
        rig.deliver()
        rig.t += 1.0
        if rig.sender.acked == rig.outbox.top:
            break
    assert rig.acked == rig.outbox.top
    assert rig.city.have == list(range(1, rig.outbox.top + 1))
    assert rig.ahead == []  # no fault from faults of the network alone
