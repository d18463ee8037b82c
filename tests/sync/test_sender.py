"""The events-up state machine, against a simulated city, with an injected clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    def __init__(self) -> None:
        self.acked = 0
        self.rejected: list[dict[str, Any]] = []

    def set_acked(self, value: int) -> None:
        self.acked = value

    def add_rejected(self, items: list[dict[str, Any]]) -> int:
        self.rejected += items
        return len(items)


class City:
    """The city's rules for events: store anything, ack the contiguous prefix."""

    def __init__(self) -> None:
        self.have: set[int] = set()
        self.acked = 0
        self.received: list[tuple[int, int]] = []

    def take(self, data: bytes) -> int:
        batch = json.loads(data)
        self.received.append((batch["first_seq"], batch["last_seq"]))
        self.have.update(e["seq"] for e in batch["events"])
        while self.acked + 1 in self.have:
            self.acked += 1
        return self.acked


class Rig:
    def __init__(self, n: int = 0, gap_grace: float = 1.0, **settings: Any) -> None:
        self.t = 100.0
        self.outbox = FakeOutbox(n)
        self.store = FakeStore()
        self.city = City()
        self.wire: list[bytes] = []
        self.sender = EventSender(
            HALL,
            self.outbox,
            self.store,
            self._publish,
            SenderSettings(**{"backlog_rate": 0, **settings}),
            clock=lambda: self.t,
            gap_grace=gap_grace,
        )

    def _publish(self, data: bytes) -> bool:
        self.wire.append(data)
        return True

    def deliver(self, drop: set[int] | None = None) -> None:
        """The city receives what is on the wire (except dropped indexes) and answers."""
        msgs, self.wire = self.wire, []
        for i, m in enumerate(msgs):
            if drop and i in drop:
                continue
            self.sender.on_ack(self.city.take(m))

    def run(self, rounds: int = 200) -> None:
        for _ in range(rounds):
            self.sender.pump()
            if not self.wire:
                return
            self.deliver()


def test_backlog_goes_in_batches_within_limits_and_is_done_only_on_ack() -> None:
    rig = Rig(1234, batch_max_events=500, max_inflight_batches=2)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    assert [json.loads(m)["first_seq"] for m in rig.wire] == [1, 501]  # window of 2
    assert rig.store.acked == 0  # a PUBACK is not an ack
    rig.run()
    assert rig.store.acked == 1234
    assert rig.city.received[:3] == [(1, 500), (501, 1000), (1001, 1234)]


def test_backlog_waits_for_the_cloud_to_say_online() -> None:
    rig = Rig(100)
    rig.sender.on_connected()
    rig.sender.pump()
    assert rig.wire == []
    rig.sender.on_cloud_status(True)
    rig.run()
    assert rig.store.acked == 100


def test_live_lane_goes_ahead_of_the_backlog_and_the_lanes_merge() -> None:
    rig = Rig(3000, batch_max_events=100, backlog_rate=200)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()  # the first backlog batch (the bucket starts with one batch)
    rig.deliver()
    rig.outbox.top = 3001  # something happens in the hall now
    rig.sender.pump()
    live = [json.loads(m) for m in rig.wire if json.loads(m)["first_seq"] == 3001]
    assert live, "the new event went out at once, ahead of 2900 backlog events"
    rig.deliver()
    assert 3001 in rig.city.have and rig.store.acked == 100
    for _ in range(40):  # the rate bound: 200 events per simulated second
        rig.t += 1.0
        rig.run()
    assert rig.store.acked == 3001
    s = rig.sender
    assert s.next_seq == s.live_floor == s.live_next == 3002


def test_backlog_rate_is_bounded() -> None:
    rig = Rig(10_000, batch_max_events=500, backlog_rate=1000, max_inflight_batches=64)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    sent = 0
    for _ in range(10):  # ten simulated seconds
        rig.sender.pump()
        sent += sum(json.loads(m)["last_seq"] - json.loads(m)["first_seq"] + 1 for m in rig.wire)
        rig.deliver()
        rig.t += 1.0
    assert 9_000 <= sent <= 11_000


def test_a_lost_batch_is_sent_again_after_the_gap_reply() -> None:
    rig = Rig(1000, batch_max_events=100, max_inflight_batches=4, gap_grace=0.5)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    rig.t += 1.0  # the batch after the gap is out longer than the grace
    rig.deliver(drop={1})  # 101..200 lost: the city answers 301..400 with 100
    assert rig.sender.stats["gap_replies"] == 1
    rig.run()
    assert rig.store.acked == 1000
    assert sorted(rig.city.have) == list(range(1, 1001))


def test_a_lost_last_batch_is_sent_again_after_the_ack_timeout() -> None:
    rig = Rig(150, batch_max_events=100, ack_timeout_s=5.0)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    rig.deliver(drop={1})  # the last batch never arrives: nobody answers
    assert rig.store.acked == 100
    rig.t += 6.0
    rig.run()
    assert rig.sender.stats["timeouts"] == 1
    assert rig.store.acked == 150


def test_city_behind_its_own_ack_gets_everything_again() -> None:
    rig = Rig(300, batch_max_events=100)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.run()
    assert rig.store.acked == 300
    rig.city = City()  # the city restored an old backup: it has nothing
    rig.outbox.top = 301
    rig.run()
    assert rig.store.acked == 301
    assert sorted(rig.city.have) == list(range(1, 302))


def test_resend_command_sends_from_the_given_seq() -> None:
    rig = Rig(300, batch_max_events=100)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.run()
    rig.city.received.clear()
    rig.sender.rewind_to(90)
    rig.run()
    assert rig.city.received[0][0] == 90
    assert rig.store.acked == 300


def test_reconnect_sends_everything_not_acked_again() -> None:
    rig = Rig(250, batch_max_events=100)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    rig.wire.clear()  # the link died with three batches in flight
    rig.sender.on_disconnected()
    assert rig.sender.pump() is False
    rig.sender.on_connected()
    rig.run()
    assert rig.store.acked == 250


def test_rejected_events_are_kept_and_do_not_block() -> None:
    rig = Rig(10)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    rig.wire.clear()
    rig.sender.on_ack(10, [{"seq": 4, "code": "unknown_service", "reason": "x"}])
    assert rig.store.acked == 10
    assert rig.store.rejected == [{"seq": 4, "code": "unknown_service", "reason": "x"}]


@pytest.mark.parametrize("dup_every", [1, 2, 3])
def test_duplicated_acks_never_lose_events(dup_every: int) -> None:
    rig = Rig(2000, batch_max_events=50, max_inflight_batches=8, gap_grace=0.0)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    for i in range(500):
        rig.sender.pump()
        msgs, rig.wire = rig.wire, []
        for m in msgs:
            a = rig.city.take(m)
            rig.sender.on_ack(a)
            if i % dup_every == 0:
                rig.sender.on_ack(a)  # the same ack again (a redelivery)
        rig.t += 0.1
        if rig.store.acked == 2000:
            break
    assert rig.store.acked == 2000


def test_a_lost_live_batch_is_sent_again_after_the_lanes_merge() -> None:
    rig = Rig(1000, batch_max_events=500, ack_timeout_s=5.0)
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.outbox.top = 1010  # live events while the backlog is out
    rig.sender.pump()
    live = [i for i, m in enumerate(rig.wire) if json.loads(m)["first_seq"] == 1001]
    rig.deliver(drop=set(live))  # the live batch is lost, the backlog arrives
    assert rig.store.acked == 1000
    s = rig.sender
    assert s.next_seq == s.live_floor == 1001 and s.live_next == 1011  # lanes merged
    for _ in range(3):
        rig.t += 6.0
        rig.run()
    assert rig.store.acked == 1010
    assert rig.sender.stats["timeouts"] >= 1


OPS = ("pump", "deliver", "drop", "dup", "reconnect", "tick", "live", "cloud", "stale_ack")


@settings(max_examples=150, deadline=None)
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
        gap_grace=0.5,
        backlog_rate=300,
    )
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    for op, n in script:
        if op == "pump":
            rig.sender.pump()
        elif op == "deliver" and rig.wire:
            rig.sender.on_ack(rig.city.take(rig.wire.pop(n % len(rig.wire))))
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
        if rig.store.acked == rig.outbox.top:
            break
    assert rig.store.acked == rig.outbox.top
    assert rig.city.have == set(range(1, rig.outbox.top + 1))
