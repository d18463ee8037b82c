"""The whole link on real brokers: a hall (hub on its own Mosquitto) and its sync, the city's
TLS Mosquitto with ACLs, the city peer."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.local import LocalHall
from hall.bus.interface import Message
from hall.core.navigation import rank
from hall.mqttvalues import TlsFiles
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.cityview import NEARBY
from sync.link import CityLink, city_options
from tests.sync.citykit import (
    DAY,
    HALL_ID,
    assert_city_has_log,
    start_sync,
    wait_until,
    write_sync_config,
)

OTHER = "410402-XH01"


def issue(hall: LocalHall, n: int, service: str = "SB-001") -> None:
    _, client = hall.connect(f"kiosk-{n}-{service}", "kiosk")
    for _ in range(n):
        client.execute("issue", {"service": service})


def test_events_up_done_only_on_ack_with_status_load_and_health(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    issue(hall, 30)  # a backlog before sync starts
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        top = len(hall.events())
        assert peer.wait_acked(HALL_ID, top, 15)
        wait_until(lambda: sync.state.acked == top)
        issue(hall, 5)  # live events
        assert peer.wait_acked(HALL_ID, top + 5, 10)
        assert_city_has_log(peer, hall)
        # The first load may have gone out before the last five (a change waits for the
        # contract's 10 s between loads).
        h = wait_until(
            lambda: (
                (x := peer.store.hall(HALL_ID))["load"]
                and x["health"]
                and x["load"]["services"]["SB-001"]["waiting"] == 35
                and x
            ),
            15,
        )
        assert h["status"]["online"] is True and h["status"]["software"]
        assert wire.problems("load", h["load"]) == [] and wire.problems("health", h["health"]) == []
        assert h["health"]["roles"]["hub"]["status"] == "up"
    finally:
        sync.stop()
    status = wait_until(lambda: (s := peer.store.hall(HALL_ID)["status"]) and not s["online"] and s)
    assert status == {"v": 1, "online": False}  # said on a clean stop (the will on a crash)


def test_appointments_down_by_version_and_a_check_in_stands(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        wait_until(lambda: sync.link.connected)
        day = DAY.isoformat()
        a = peer.core.book(
            HALL_ID,
            "SB-001",
            day,
            "10:00",
            "10:30",
            citizen={"name_masked": "张*", "id_hash": "ab" * 32, "phone_tail": "5678"},
        )
        b = peer.core.book(HALL_ID, "YB-001", day, "11:00", "11:30")
        peer.core.reschedule(b["id"], slot_start="14:00", slot_end="14:30")
        appts = hall.store.state.appointments
        wait_until(lambda: a["id"] in appts and appts.get(b["id"]) and appts[b["id"]].version == 2)
        assert appts[b["id"]].slot_start.strftime("%H:%M") == "14:00"
        assert appts[a["id"]].id_hash == "ab" * 32 and appts[a["id"]].name_masked == "张*"
        _, client = hall.connect("kiosk-ci", "kiosk")
        res = client.execute("check_in", {"appointment_id": a["id"]})
        peer.core.cancel(a["id"])  # a cancellation after the check-in
        peer.core.cancel(b["id"])
        wait_until(lambda: appts[b["id"]].status.value == "cancelled")
        assert appts[a["id"]].status.value == "checked_in"
        assert appts[a["id"]].ticket_id == res["ticket_id"]
        settled = wait_until(lambda: (x := peer.store.appointment(a["id"])) and x["settled"] and x)
        assert settled["settled"] == "checked_in" and settled["ticket"] == res["number"]
        received = [e for e in hall.events() if e["type"] == "appointment.received"]
        assert len({(e["data"]["id"], e["data"]["version"]) for e in received}) == len(received)
        assert sync.applier.cursor == peer.store.hall(HALL_ID)["cursor"] == 5
        # appointment.received goes up whole (docs/CITY_SYNC.md): the log is gapless and the
        # city checks the chain over every event
        assert peer.wait_acked(HALL_ID, len(hall.events()), 10)
        assert_city_has_log(peer, hall)
        city_copy = {e["seq"]: e for e in peer.store.events(HALL_ID)}
        assert all(city_copy[e["seq"]]["data"] == e["data"] for e in received)
    finally:
        sync.stop()


def test_catalog_and_config_retained_versioned_applied_whole(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, tmp_path: Path
) -> None:
    cat = json.loads(hall.cfg.catalog_path.read_text("utf-8"))
    v2 = {
        "version": 2,
        "services": [
            *cat["services"],
            {**cat["services"][0], "code": "SB-009", "name": "社保新事项"},
        ],
    }
    peer.core.publish_catalog(HALL_ID, v2)  # retained: waits for the hall
    peer.core.publish_config(HALL_ID, 3, {"queue": {"max_recalls": 5}, "hub": {"notice": "通知"}})
    cfg_path = write_sync_config(hall, city_broker, pki)
    sync = start_sync(hall, cfg_path)
    try:
        wait_until(lambda: hall.store.state.catalog.version == 2)
        assert hall.store.state.catalog.get("SB-009") is not None
        rep = wait_until(lambda: peer.store.hall(HALL_ID)["config_reported"])
        assert rep == {"v": 1, "version": 3, "applied": True, "current": 3}
        written = tomllib.loads(cfg_path.read_text("utf-8"))
        assert written["queue"] == {"max_recalls": 5} and written["hub"] == {"notice": "通知"}
        before = cfg_path.read_text("utf-8")
        bad = {**v2, "version": 3, "services": [{"code": "SB-001"}]}  # invalid catalog
        peer.core.publish_catalog(HALL_ID, bad)
        peer.core.publish_config(HALL_ID, 4, {"queue": {"max_recalls": 99}})
        rep = wait_until(
            lambda: (r := peer.store.hall(HALL_ID)["config_reported"])["version"] == 4 and r
        )
        assert rep["applied"] is False and "max_recalls" in rep["error"] and rep["current"] == 3
        assert cfg_path.read_text("utf-8") == before
        wait_until(lambda: sync.state.counters().get("refused_bad_catalog"))
        assert hall.store.state.catalog.version == 2  # keeps serving the last good one
        catalog_events = [e for e in hall.events() if e["type"] == "catalog.applied"]
        assert [e["data"]["version"] for e in catalog_events] == [1, 2]
    finally:
        sync.stop()


def test_commands_resend_and_unknown(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    issue(hall, 10)
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:
        top = len(hall.events())
        assert peer.wait_acked(HALL_ID, top, 10)
        stored = peer.store.counters()["events_stored"]
        peer.core.resend(HALL_ID, 1, command_id="c1")
        peer.core.command(HALL_ID, {"command": "reboot", "id": "c2"})
        results = wait_until(lambda: len(r := peer.store.results(HALL_ID)) == 2 and r)
        assert results[0] == {"v": 1, "command": "resend_events", "ok": True, "id": "c1"}
        assert results[1]["ok"] is False and "unknown command" in results[1]["error"]
        wait_until(lambda: peer.store.counters().get("events_duplicate", 0) >= top)
        assert peer.store.counters()["events_stored"] == stored  # stored once
    finally:
        sync.stop()


def test_nearby_for_the_kiosk_from_directory_and_other_halls_load(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    ident = pki.client(OTHER)
    other = CityLink(
        city_options(
            "localhost",
            city_broker.port,
            wire.client_id(OTHER),
            tls=TlsFiles(str(pki.ca), str(ident.cert), str(ident.key)),
        )
    ).start(lambda t, d, r: None)
    wait_until(lambda: other.connected)
    load = {
        "v": 1,
        "at": "2026-11-27T09:29:00+08:00",
        "open": True,
        "services": {"SB-001": {"waiting": 2, "est_wait_min": 4, "open_counters": 3}},
    }
    assert other.publish(wire.up(OTHER, "load"), wire.encode(load), retain=True)
    got: list[dict[str, Any]] = []
    bus = hall.bus("kiosk-nav", "kiosk")
    bus.subscribe(NEARBY, lambda m: got.append(m.payload) if isinstance(m, Message) else None)
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    try:

        def has_load() -> dict[str, Any] | None:
            for p in reversed(got):
                for h in p.get("halls", []):
                    if h["hall_id"] == OTHER and h["load"]:
                        return p
            return None

        nearby = wait_until(has_load, 15)
        assert nearby["online"] is True and nearby["at"]
        xh = next(h for h in nearby["halls"] if h["hall_id"] == OTHER)
        assert xh["load"] == {"SB-001": {"waiting": 2, "est_wait_min": 4}}
        assert xh["load_at"] == load["at"] and xh["name"] == "新华区政务服务中心"
        best = rank(nearby, "SB-001", "fastest", now=datetime.fromisoformat(load["at"]))
        assert best[0]["hall_id"] == OTHER and "预计等候约4分钟" in best[0]["reason"]
    finally:
        sync.stop()
        other.stop()


def test_status_command_shows_rejected_events(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    peer.core.publish_catalog(HALL_ID, {"version": 1, "services": [{"code": "YB-001"}]})
    issue(hall, 2, "SB-001")  # the city does not know SB-001 for this hall: rejected
    cfg_path = write_sync_config(hall, city_broker, pki)
    sync = start_sync(hall, cfg_path)
    try:
        top = len(hall.events())
        assert peer.wait_acked(HALL_ID, top, 10)
        wait_until(lambda: len(sync.state.rejected()) == 2)
    finally:
        sync.stop()
    res = CliRunner().invoke(cli, ["sync", "status", "--config", str(cfg_path)])
    assert res.exit_code == 0, res.output
    assert f"acked by the city through {top}, backlog 0" in res.output
    assert "unknown_service" in res.output
    res = CliRunner().invoke(cli, ["sync", "status", "--config", str(cfg_path), "--json"])
    data = json.loads(res.output)
    assert [r["code"] for r in data["rejected"]] == ["unknown_service"] * 2
