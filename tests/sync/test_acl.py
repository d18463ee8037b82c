"""The city broker's TLS and ACLs, checked by what is delivered (Mosquitto 2.0 grants a
forbidden subscription and delivers nothing; a forbidden publish looks successful)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hall.mqtt import try_connect
from hall.mqttvalues import ConnectOptions, TlsFiles
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki, make_pki
from sync.link import CityLink, city_options
from tests.sync.citykit import HALL_ID, wait_until

A, B = HALL_ID, "410402-XH01"


def link(
    pki: Pki,
    broker: CityBroker,
    cn: str,
    subs: tuple[str, ...],
    got: list[str],
    protocol: str = "5",
) -> CityLink:
    ident = pki.client(cn)
    lk = CityLink(
        city_options(
            "localhost",
            broker.port,
            f"t-{cn}-{protocol}",
            tls=TlsFiles(str(pki.ca), str(ident.cert), str(ident.key)),
            protocol=protocol,
            clean_start=True,
        ),
        subscriptions=subs,
    ).start(lambda t, d, r: got.append(t))
    wait_until(lambda: lk.connected)
    return lk


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_hall_cannot_read_or_write_another_halls_topics(
    pki: Pki, city_broker: CityBroker, peer: CityPeer, protocol: str
) -> None:
    got_a: list[str] = []
    got_b: list[str] = []
    spy = ("cityq/v1/halls/+/down/#", "cityq/v1/halls/+/up/#", "#")
    a = link(pki, city_broker, A, (*wire.hall_subscriptions(A), *spy), got_a, protocol)
    b = link(pki, city_broker, B, tuple(wire.hall_subscriptions(B)), got_b, protocol)
    time.sleep(0.3)  # the subscriptions are in place
    got_a.clear()
    got_b.clear()
    try:
        peer.core.book(B, "SB-001", "2026-11-27", "10:00", "10:30")  # for B only
        peer.core.book(A, "SB-001", "2026-11-27", "10:00", "10:30")
        batch = {
            "v": 1,
            "hall_id": B,
            "first_seq": 1,
            "last_seq": 1,
            "events": [
                {
                    "seq": 1,
                    "id": "x",
                    "type": "ticket.issued",
                    "at": "2026-11-27T09:00:00+08:00",
                    "data": {"service": "SB-001"},
                }
            ],
        }
        assert a.publish(wire.up(B, "events"), wire.encode(batch))  # "succeeds" …
        assert a.publish(
            wire.down(B, "appointments"), wire.encode({"v": 1, "cursor": 99, "changes": []})
        )
        load = {"v": 1, "at": "2026-11-27T09:00:00+08:00", "services": {}}
        assert b.publish(wire.up(B, "load"), wire.encode(load), retain=True)
        wait_until(lambda: wire.down(A, "appointments") in got_a)
        wait_until(lambda: wire.up(B, "load") in got_a)  # other halls' load: readable
        wait_until(lambda: wire.down(B, "appointments") in got_b)
        # A's mark, after its forged messages: what the broker let through of those reached
        # b, a's own spy and the city peer before it (one publisher, in order).
        mark = {"v": 1, "at": "2026-11-27T09:00:01+08:00", "open": True, "services": {}}
        assert a.publish(wire.up(A, "load"), wire.encode(mark))
        wait_until(lambda: wire.up(A, "load") in got_b and wire.up(A, "load") in got_a)
        wait_until(lambda: peer.store.hall(A).get("load") == mark)
        assert all(not t.startswith(wire.hall_prefix(B) + "/down") for t in got_a)
        assert got_b.count(wire.down(B, "appointments")) == 1  # not A's forged page
        assert peer.store.event_count(B) == 0  # … and is dropped by the broker
        leaked = [t for t in got_a if t.startswith(wire.hall_prefix(B)) and t != wire.up(B, "load")]
        assert leaked == []
        own = {**batch, "hall_id": A}
        assert a.publish(wire.up(A, "events"), wire.encode(own))  # the control: allowed
        wait_until(lambda: peer.store.event_count(A) == 1)
    finally:
        a.stop()
        b.stop()


def test_a_hall_reads_directory_and_cloud_status(
    pki: Pki, city_broker: CityBroker, peer: CityPeer
) -> None:
    got: list[str] = []
    a = link(pki, city_broker, A, tuple(wire.hall_subscriptions(A)), got)
    try:
        wait_until(lambda: wire.DIRECTORY in got and wire.CLOUD_STATUS in got)
    finally:
        a.stop()


def connects(broker: CityBroker, tls: TlsFiles) -> bool:
    """One attempt by an intruder's client; True only when the broker accepted it."""
    return try_connect(ConnectOptions("localhost", broker.port, "intruder", tls=tls), 3).ok


def test_no_certificate_or_a_foreign_ca_is_refused(
    pki: Pki, city_broker: CityBroker, tmp_path: Path
) -> None:
    assert not connects(city_broker, TlsFiles(str(pki.ca)))  # no client certificate
    other = make_pki(tmp_path / "other", clients=(A,))
    forged = TlsFiles(str(pki.ca), str(other.client(A).cert), str(other.client(A).key))
    assert not connects(city_broker, forged)  # the right CN from another CA
    good = TlsFiles(str(pki.ca), str(pki.client(A).cert), str(pki.client(A).key))
    assert connects(city_broker, good)
