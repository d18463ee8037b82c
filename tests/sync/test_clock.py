"""A hall clock set wrong (1970, an hour ahead, a jump back): ordering and deduplication stay
right, because they use seq, never time."""

from __future__ import annotations

import time
from datetime import datetime

from appliance import config as hall_config
from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.service import SyncService
from tests.sync.citykit import HALL_ID, assert_city_has_log, fill, wait_until, write_sync_config


def test_wrong_hall_clocks_keep_order_and_dedup(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    clock = hall.clock
    assert isinstance(clock, FixedClock)
    true = clock.t
    fill(hall, 3)
    clock.jump_wall(-true + 86400)  # the board booted in 1970
    clock.advance(1)
    fill(hall, 3)
    clock.t = true + 3600
    clock.advance(1)
    fill(hall, 3)  # an hour ahead
    clock.t = true + 60  # NTP jumps it back
    clock.advance(1)
    top = fill(hall, 3)
    cfg = hall_config.load(write_sync_config(hall, city_broker, pki))
    wrong = lambda: 86400.0 + time.time() % 60  # noqa: E731 - sync's own clock in 1970
    sync = SyncService(
        cfg, validate_config=hall_config.parse, bus=hall.bus("sync-clock", "sync"), wall=wrong
    ).start()
    try:
        assert peer.wait_acked(HALL_ID, top, 10)
        assert_city_has_log(peer, hall)
        ats = [datetime.fromisoformat(e["at"]) for e in peer.store.events(HALL_ID)]
        assert ats == sorted(ats)  # hall time never went back
        assert ats[-1].year == 2026
        # the city's resend command comes after its acks (one publisher, in order); called
        # from here, wait for them, or a late ack moves the sender past the rewind
        wait_until(lambda: sync.sender.acked == top)
        sync.sender.rewind_to(1)  # the whole log again: stored once
        wait_until(lambda: peer.store.counters().get("events_duplicate", 0) >= top)
        assert peer.store.event_count(HALL_ID) == top
        status = wait_until(lambda: peer.store.hall(HALL_ID)["status"])
        assert status["since"].startswith("1970-01-02")  # sync's own clock is wrong too
        assert sync.nearby_payload()["online"] is True
    finally:
        sync.stop()
