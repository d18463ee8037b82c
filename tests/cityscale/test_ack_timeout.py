"""The sender's ack timeout under a slow city (issue 19): it grows with the measured round
trip to the city's events-ack and doubles after a timeout without progress, so that a city
with long queues is not sent the same window again and again; `ack_timeout_s` stays the
least wait. Injected clock, the contract's in-order city from tests/sync/test_sender.py."""

from __future__ import annotations

from sync.acktimer import ACK_TIMEOUT_MAX_X
from tests.sync.test_sender import Rig, firsts


def started(rig: Rig) -> Rig:
    rig.sender.on_cloud_status(True)
    rig.sender.on_connected()
    rig.sender.pump()
    return rig


def test_a_slow_city_is_given_its_round_trip_not_sent_again() -> None:
    rig = started(Rig(400, batch_max_events=100, max_inflight_batches=2, ack_timeout_s=5.0))
    assert firsts(rig.wire) == [1, 101]
    assert rig.sender.ack_timeout == 5.0  # nothing measured yet: the setting
    rig.t += 4.0  # the city answers after 4 s
    rig.deliver()
    assert rig.acked == 200
    # two samples of 4 s: round trip 4 s, deviation 2 s then 1.5 s: 4 + 4 × 1.5
    assert rig.sender.ack_timeout == 10.0
    rig.sender.pump()
    assert firsts(rig.wire) == [201, 301]
    rig.t += 9.5  # past ack_timeout_s, within the measured timeout
    rig.sender.pump()
    assert rig.sender.stats["timeouts"] == 0
    assert firsts(rig.wire) == [201, 301]  # nothing sent again
    rig.deliver()
    assert rig.acked == 400


def test_timeouts_without_progress_double_the_wait_up_to_its_cap() -> None:
    rig = started(Rig(100, batch_max_events=100, ack_timeout_s=5.0))
    waits = []
    for _ in range(6):
        rig.wire.clear()  # the city never answers
        before = rig.sender.stats["timeouts"]
        wait = rig.sender.ack_timeout
        rig.t += wait - 0.5
        rig.sender.pump()
        assert rig.sender.stats["timeouts"] == before  # not yet
        rig.t += 0.5
        rig.sender.pump()
        assert rig.sender.stats["timeouts"] == before + 1
        assert firsts(rig.wire) == [1]  # sent again
        waits.append(wait)
    assert waits == [5.0, 10.0, 20.0, 40.0, 40.0, 40.0]
    assert ACK_TIMEOUT_MAX_X * 5.0 == 40.0
    rig.deliver()  # progress: back to the least wait
    assert rig.acked == 100
    assert rig.sender.ack_timeout == 5.0
