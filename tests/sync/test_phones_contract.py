"""云叫号 tested from the contract's own JSON examples (contracts/city-cloud.md v1.1, "Remote
tickets and ticket progress"), not from what our city peer sends: the examples go down as
the contract writes them, with the elided values ("…") filled in, and what comes up must
have the examples' fields and kinds of value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock, at_local
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from tests.sync.citykit import HALL_ID, TZ, wait_until, write_sync_config
from tests.sync.phonekit import Tick, paper, phone_hall, start_phone_sync

# The contract's examples, in its order: a request, an ok result, a refusal, ticket-arrived,
# watch, ticket-progress. Only "…" is replaced (the id_hash by 64 hex digits, the ticket id
# by the one the hall gave).
REQUEST = """{"v":1,"request_id":"RT20261207000042","service":"SB-001","priority":"normal",
 "channel":"mini_program","citizen":{"name_masked":"张*","id_hash":"9f2c…","phone_tail":"5678"},
 "requested_at":"2026-12-07T09:40:00+08:00","expires":"2026-12-07T09:45:00+08:00"}"""
OK_RESULT = """{"v":1,"request_id":"RT20261207000042","ok":true,"ticket_id":"…","number":"A045",
 "service":"SB-001","waiting_ahead":7,"est_wait_min":15,"arrive_by":"2026-12-07T10:40:00+08:00"}"""
REFUSAL = """{"v":1,"request_id":"RT20261207000043","ok":false,"code":"quota_reached",
 "reason":"…"}"""
ARRIVED = """{"v":1,"ticket_id":"…","how":"geofence","at":"2026-12-07T10:01:30+08:00"}"""
WATCH = """{"v":1,"ticket_id":"…","at":"2026-12-07T09:41:00+08:00"}"""
PROGRESS = """{"v":1,"ticket_id":"…","number":"A045","status":"waiting","arrived":false,
 "waiting_ahead":3,"est_wait_min":6,"counter":null,"approaching":true,"at":"2026-12-07T10:02:10+08:00"}"""


def example(text: str, **fill: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    if "citizen" in value:
        value["citizen"]["id_hash"] = "9f2c" * 16
    if value.get("ticket_id") == "…":
        value["ticket_id"] = "0b9e" * 6
    return {**value, **fill}


def shape(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def same_shape(got: dict[str, Any], model: dict[str, Any]) -> None:
    assert set(got) == set(model), (sorted(got), sorted(model))
    for k, v in model.items():
        if v is not None and got[k] is not None:
            assert shape(got[k]) == shape(v), k


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[LocalHall]:
    clock = FixedClock(at_local(date(2026, 12, 7), "09:41", TZ))  # a Monday, as in the example
    with phone_hall(tmp_path / "hall", clock) as h:
        yield h


def test_the_contracts_examples_round_trip(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    for text in (REQUEST, OK_RESULT, REFUSAL, ARRIVED, WATCH, PROGRESS):
        kind = {
            "citizen": "ticketRequest",
            '"ok"': "ticketResult",
            "geofence": "ticketArrived",
            "approaching": "ticketProgress",
        }
        name = next((v for k, v in kind.items() if k in text), "watch")
        assert wire.problems(name, example(text)) == [], name  # our schema takes each one
    sync = start_phone_sync(hall, write_sync_config(hall, city_broker, pki), Tick())
    try:
        wait_until(lambda: sync.link.connected)
        paper(hall, 7)
        peer.phones.send(HALL_ID, "ticket-request", example(REQUEST))
        got = wait_until(lambda: peer.phones.result("RT20261207000042"), 15)
        same_shape(got, example(OK_RESULT))
        assert got["ok"] is True and got["waiting_ahead"] == 7
        assert got["arrive_by"].startswith("2026-12-07T10:41:00")  # 60 min after issue
        assert got["arrive_by"].endswith("+08:00")
        tid = got["ticket_id"]
        first = wait_until(lambda: peer.phones.progress(tid), 15)[0]
        same_shape(first, example(PROGRESS))
        paper_ticket = paper(hall, 1)[0]["ticket_id"]
        peer.phones.send(HALL_ID, "watch", example(WATCH, ticket_id=paper_ticket))
        watched = wait_until(lambda: peer.phones.progress(paper_ticket), 15)[0]
        same_shape(watched, example(PROGRESS))
        peer.phones.send(HALL_ID, "ticket-arrived", example(ARRIVED, ticket_id=tid))
        arrived = wait_until(lambda: [m for m in peer.phones.progress(tid) if m["arrived"]], 15)
        same_shape(arrived[0], example(PROGRESS))
        # the request again, as a session redelivers it: the same result, no second ticket
        peer.phones.send(HALL_ID, "ticket-request", example(REQUEST))
        wait_until(lambda: len(peer.phones.results("RT20261207000042")) == 2, 15)
        results = peer.phones.results("RT20261207000042")
        assert results[0] == results[1]
        # a refusal: the day's quota of YB-002 (one) is used
        paper(hall, 1, "YB-002")
        ask = example(REQUEST, request_id="RT20261207000043", service="YB-002")
        peer.phones.send(HALL_ID, "ticket-request", ask)
        refusal = wait_until(lambda: peer.phones.result("RT20261207000043"), 15)
        same_shape(refusal, example(REFUSAL))
        assert refusal["code"] == "quota_reached"
        remote = [e for e in hall.events() if e["data"].get("source") == "remote"]
        assert len(remote) == 1
    finally:
        sync.stop()
