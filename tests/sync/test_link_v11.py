"""Contract v1.1 on real brokers (TLS, the contract's ACLs) against the product's city peer,
which stores in order only: go-back-N on the city's answer, an ack past what was sent as a
fault, a broker that refuses another hall's certificate, the TLS files checked at start."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.local import LocalHall
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.service import SyncService
from tests.sync.citykit import (
    HALL_ID,
    assert_city_has_log,
    fill,
    start_sync,
    wait_until,
    write_sync_config,
)

OTHER = "410402-XH01"


def device_events(hall: LocalHall, suffix: str) -> list[dict[str, Any]]:
    return [
        e["data"]
        for e in hall.events()
        if e["type"] in ("device.fault", "device.recovered")
        and e["data"]["device"].endswith(suffix)
    ]


def status_text(cfg: Path) -> str:
    res = CliRunner().invoke(cli, ["sync", "status", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    return res.output


def test_a_lost_batch_is_sent_again_on_the_citys_answer_and_live_events_flow(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    # A timeout would take ten minutes: only the city's answer can bring the resend.
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki, ack_timeout_s=600))
    try:
        top = fill(hall, 5)
        assert peer.wait_acked(HALL_ID, top, 10)
        peer.core.lose_batches = 1  # the next batch never reaches the city
        _, kiosk = hall.connect("kiosk-gbn", "kiosk")
        kiosk.execute("issue", {"service": "SB-001"})
        wait_until(lambda: peer.store.counters().get("batches_lost") == 1)
        for _ in range(5):  # live events go on: each answered with the ack before the gap
            kiosk.execute("issue", {"service": "SB-001"})
        top = len(hall.events())
        assert peer.wait_acked(HALL_ID, top, 10), sync.sender.snapshot()
        snap = sync.sender.snapshot()
        assert snap["go_back"] >= 1 and snap["timeouts"] == 0, snap
        assert peer.store.hall(HALL_ID)["gap_batches"] >= 1
        assert_city_has_log(peer, hall)
    finally:
        sync.stop()


def test_an_ack_past_what_was_sent_is_a_fault_never_a_skip(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    cfg = write_sync_config(hall, city_broker, pki)
    sync = start_sync(hall, cfg, bus_id="sync-ahead")
    try:
        top = fill(hall, 10)
        assert peer.wait_acked(HALL_ID, top, 10)
        first = top
        bogus = {"v": 1, "acked_through": first + 5000}
        peer.core.publish(wire.down(HALL_ID, "events-ack"), bogus, False)
        wait_until(lambda: "ack_ahead" in sync.faults.active())
        assert top <= sync.sender.acked < first + 5000  # the hall keeps its own mark
        # The fault is reported as a device event in the log: wait for it before the next
        # events, so that `top` below is the log's last (it went up with them, or after).
        fault = wait_until(lambda: device_events(hall, "/city-acks"))[-1]
        top = fill(hall, 200)  # the next events are sent, not skipped
        assert peer.wait_acked(HALL_ID, top, 15)
        wait_until(lambda: sync.sender.acked == top)  # saved within 0.25 s, or at the stop
        assert fault["device"] == "sync-ahead/city-acks" and fault["state"] == "ack_ahead"
        assert fault["ok"] is False and str(first + 5000) in fault["detail"]
        wait_until(lambda: peer.store.hall(HALL_ID)["health"]["sync"]["faults"])
        health = peer.store.hall(HALL_ID)["health"]
        assert health["sync"]["faults"][0]["fault"] == "ack_ahead"
    finally:
        sync.stop()
        sync.bus.close()  # the next start takes the same id on the hall bus
    text = status_text(cfg)
    assert f"acked by the city through {top}, backlog 0" in text
    assert "FAULT ack_ahead" in text and "hall sync clear ack_ahead" in text
    sync = start_sync(hall, cfg, bus_id="sync-ahead")  # after a restart: same mark, same fault
    try:
        assert sync.sender.acked == top and "ack_ahead" in sync.faults.active()
        top = fill(hall, 5)
        assert peer.wait_acked(HALL_ID, top, 10)
        res = CliRunner().invoke(cli, ["sync", "clear", "ack_ahead", "--config", str(cfg)])
        assert res.exit_code == 0 and "ack_ahead: cleared" in res.output
        sync.faults.changed.set()  # the running sync reads the file again (else within 60 s)
        recovered = wait_until(
            lambda: [d for d in device_events(hall, "/city-acks") if d["ok"]], 10
        )
        assert recovered[-1]["state"] == "ok"
        assert peer.wait_acked(HALL_ID, len(hall.events()), 10)  # the recovery went up too
        assert_city_has_log(peer, hall)
    finally:
        sync.stop()


def test_another_halls_certificate_is_a_fault_and_sync_tries_slowly(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    ident = pki.client(OTHER)
    cfg = write_sync_config(
        hall, city_broker, pki, cert_file=str(ident.cert), key_file=str(ident.key)
    )
    sync = start_sync(hall, cfg, bus_id="sync-cn")
    try:
        assert "certificate_cn" in sync.faults.active()  # known before connecting
        assert sync.sender.refusal.slow
        fill(hall, 3)
        # MQTT 5: the broker answers our events "Not authorized" (the ACL knows us as OTHER)
        wait_until(lambda: "not_authorized" in sync.faults.active(), 10)
        snap = sync.sender.snapshot()
        assert snap["refused"] == "Not authorized" and snap["inflight"] == 0
        assert sync.sender.refusal.hold_until > time.monotonic() + 30  # the next try in a minute
        states = wait_until(lambda: device_events(hall, "/city-access"))
        assert states[0]["state"] == "certificate_cn" and OTHER in states[0]["detail"]
        assert peer.store.event_count(HALL_ID) == 0 and peer.store.event_count(OTHER) == 0
    finally:
        sync.stop()
        sync.bus.close()  # the next start takes the same id on the hall bus
    text = status_text(cfg)
    assert "FAULT certificate_cn" in text and "FAULT not_authorized" in text
    right = write_sync_config(hall, city_broker, pki, name="right.toml")  # the same sync.db
    sync = start_sync(hall, right, bus_id="sync-cn")
    try:
        assert "certificate_cn" not in sync.faults.active()  # this hall's own certificate
        top = len(hall.events())
        assert peer.wait_acked(HALL_ID, top, 10)
        wait_until(lambda: "not_authorized" not in sync.faults.active())
    finally:
        sync.stop()


def test_missing_or_wrong_tls_files_stop_sync_in_one_line(
    tmp_path: Path, hall: LocalHall, city_broker: CityBroker, pki: Pki
) -> None:
    other = pki.client(OTHER)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = [
        ({"key_file": str(tmp_path / "missing.key")}, "sync.key_file", "cannot read"),
        ({"ca_file": str(tmp_path / "missing-ca.pem")}, "sync.ca_file", "cannot read"),
        ({"cert_file": str(garbage)}, "sync.cert_file", "not a PEM certificate"),
        ({"key_file": str(other.key)}, "sync.key_file", "not the private key"),
    ]
    for over, key, says in cases:
        cfg = write_sync_config(hall, city_broker, pki, name="bad.toml", **over)
        res = CliRunner().invoke(cli, ["sync", "--config", str(cfg)])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and key in lines[0] and says in lines[0], res.output
        assert "Traceback" not in res.output


def test_the_city_link_reconnects_with_the_settings_backoff(
    hall: LocalHall, city_broker: CityBroker, pki: Pki
) -> None:
    from appliance import config as hall_config

    cfg = hall_config.load(write_sync_config(hall, city_broker, pki, reconnect_min_s=0.5))
    sync = SyncService(cfg, validate_config=hall_config.parse, bus=hall.bus("sync-rc", "sync"))
    r = sync.link.opts.reconnect
    assert (r.base, r.cap, r.stable_after) == (0.5, 1.0, 10.0)
    assert sync.link.backoff.first == 0.5  # the first retry after a connection that held
    sync.cache.close()
    sync.outbox.close()
    sync.state.close()
