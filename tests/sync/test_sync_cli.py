"""`hall sync` on the command line: status before sync ever ran, the test PKI, the city peer's
console."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.local import LocalHall
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.cli import console
from tests.sync.citykit import DAY, HALL_ID, start_sync, wait_until, write_sync_config


def test_status_before_sync_ran(hall: LocalHall, city_broker: CityBroker, pki: Pki) -> None:
    cfg = write_sync_config(hall, city_broker, pki, state_file="never.db")
    res = CliRunner().invoke(cli, ["sync", "status", "--config", str(cfg)])
    assert res.exit_code == 0 and "sync has not run on this box yet" in res.output
    assert not (cfg.parent / "never.db").exists()


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "hall.toml"
    bad.write_text(
        '[hall]\nid = "410411-ZH01"\nname = "x"\n[sync]\nbroker_url = "mqtt://10.0.0.1"\n'
        '[[counters]]\nid = "1"\nservices = ["SB-001"]\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["sync", "--config", str(bad)])
    assert res.exit_code == 2
    assert "sync.broker_url" in res.output and "loopback" in res.output


def test_pki_command(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["sync", "city-peer", "pki", str(tmp_path), "--hall", HALL_ID])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "city-ca.pem").exists() and (tmp_path / f"{HALL_ID}.key").exists()
    assert (tmp_path / "cityq-platform.crt").exists()


def test_city_peer_console(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        booked = json.loads(console(peer, f"book {HALL_ID} SB-001 {DAY} 10:00 10:30"))
        appts = hall.store.state.appointments
        wait_until(lambda: booked["id"] in appts)
        moved = json.loads(console(peer, f"reschedule {booked['id']} 11:00 11:30"))
        assert moved["version"] == 2
        wait_until(lambda: appts[booked["id"]].version == 2)
        assert json.loads(console(peer, f"cancel {booked['id']}"))["status"] == "cancelled"
        assert console(peer, "offline") == "cloud offline"
        wait_until(lambda: not sync.sender.cloud_online)
        assert console(peer, "online") == "cloud online"
        assert json.loads(console(peer, f"hall {HALL_ID}"))["cursor"] == 3
        assert console(peer, "cancel NOPE").startswith("error:")
        assert "commands:" in console(peer, "what")
    finally:
        sync.stop()
