"""What the city sends, as the city may send it: duplicated, reordered, replayed, invalid,
oversized, for another hall. Refused ones are counted and the stream goes on."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from appliance.local import LocalHall
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.link import CityLink, city_options
from sync.service import SyncService
from tests.sync.citykit import (
    DAY,
    HALL_ID,
    assert_city_has_log,
    fill,
    peer_tls,
    start_sync,
    wait_until,
    write_sync_config,
)


def change(aid: str, version: int, status: str = "booked", slot: str = "10:00") -> dict[str, Any]:
    return {
        "id": aid,
        "version": version,
        "status": status,
        "service": "SB-001",
        "date": DAY.isoformat(),
        "slot_start": slot,
        "slot_end": "10:30",
        "code": "123456",
    }


def page(cursor: int, *changes: dict[str, Any]) -> bytes:
    return wire.encode({"v": 1, "cursor": cursor, "changes": list(changes)})


@pytest.fixture
def city(pki: Pki, city_broker: CityBroker) -> Any:
    """A raw city client (the platform's certificate) that sends what a test wants."""
    got: list[tuple[str, bytes]] = []
    link = CityLink(
        city_options(
            "localhost", city_broker.port, "evil-city", tls=peer_tls(pki), clean_start=True
        ),
        subscriptions=(wire.HALLS + "+/up/#",),
    ).start(lambda t, d, r: got.append((t, d)))
    wait_until(lambda: link.connected)
    link.got = got  # type: ignore[attr-defined]
    yield link
    link.stop()


def down(link: CityLink, kind: str, data: bytes) -> None:
    assert link.publish(wire.down(HALL_ID, kind), data)


def test_duplicated_and_reordered_changes_act_once_by_version(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, city: CityLink
) -> None:
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        wait_until(lambda: sync.link.connected)
        v1, v2 = change("AP1", 1), change("AP1", 2, "rescheduled", "11:00")
        v3 = change("AP1", 3, "cancelled", "11:00")
        for data in (page(1, v1), page(3, v3), page(2, v2), page(1, v1), page(3, v3)):
            down(city, "appointments", data)
        appts = hall.store.state.appointments
        wait_until(lambda: sync.applier.cursor == 3 and sync.state.pending_inbox() == 0)
        assert appts["AP1"].version == 3 and appts["AP1"].status.value == "cancelled"
        received = [
            (e["data"]["id"], e["data"]["version"])
            for e in hall.events()
            if e["type"] == "appointment.received"
        ]
        assert received == [("AP1", 1), ("AP1", 3)]  # v2 came after v3: not applied
        syncs = [json.loads(d) for t, d in city.got if t.endswith("appointments-sync")]  # type: ignore[attr-defined]
        assert {"v": 1, "after": 1} in syncs  # the skip from 1 to 3 asked for the gap
    finally:
        sync.stop()


def test_replayed_old_ack_makes_the_hall_send_again_and_the_city_stores_once(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, city: CityLink
) -> None:
    top = fill(hall, 300)
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        assert peer.wait_acked(HALL_ID, top, 10)
        wait_until(lambda: sync.state.acked == top)
        down(city, "events-ack", wire.encode({"v": 1, "acked_through": 100}))  # a replay
        wait_until(lambda: peer.store.counters().get("events_duplicate", 0) >= 200)
        top = fill(hall, 5)
        assert peer.wait_acked(HALL_ID, top, 10)
        wait_until(lambda: sync.state.acked == top)
        assert_city_has_log(peer, hall)
    finally:
        sync.stop()


def test_invalid_oversized_and_foreign_messages_are_refused_and_counted(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, city: CityLink
) -> None:
    sync: SyncService = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        wait_until(lambda: sync.link.connected)
        down(city, "appointments", b"{not json")
        down(city, "appointments", b'{"v":1,"cursor":1,"changes":[' + b" " * 300_000 + b"]}")
        down(city, "appointments", b'{"v":2,"cursor":1,"changes":[]}')
        down(city, "config", wire.encode({"v": 1, "version": "seven", "settings": {}}))
        down(city, "command", wire.encode({"v": 1}))
        bad = {**change("AP9", 1), "date": "27/11/2026"}
        down(city, "appointments", page(2, bad, change("AP8", 1)))  # one bad change of two
        sync.city.on_message(
            wire.down("410402-XH01", "appointments"), page(1, change("X", 1)), False
        )
        down(city, "appointments", page(3, change("AP7", 1)))  # the stream goes on
        appts = hall.store.state.appointments
        wait_until(lambda: "AP7" in appts and "AP8" in appts)
        assert "AP9" not in appts and "X" not in appts
        counts = Counter({k: v for k, v in sync.state.counters().items()})
        assert counts["refused_invalid_json"] == 1
        assert counts["refused_oversized"] == 1
        assert counts["refused_invalid"] >= 4  # v:2, config, command, the bad change
        assert counts["refused_foreign_hall"] == 1
        refused = sync.state.refused()
        assert {r["kind"] for r in refused} >= {"appointments", "config", "command"}
        text = json.dumps(refused, ensure_ascii=False)
        assert "27/11/2026" not in text  # reasons without the message's values
    finally:
        sync.stop()


def test_the_hall_works_with_the_city_on_mqtt_3_1_1(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki, protocol="3.1.1"))
    try:
        top = fill(hall, 20)
        assert peer.wait_acked(HALL_ID, top, 10)
        a = peer.core.book(HALL_ID, "SB-001", DAY.isoformat(), "10:00", "10:30")
        wait_until(lambda: a["id"] in hall.store.state.appointments)
    finally:
        sync.stop()
