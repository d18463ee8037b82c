"""云叫号 on the city link (contract v1.1 "Remote tickets and ticket progress"), end to end:
the product's city peer on a TLS city broker with the contract's ACLs, the hall's sync, the
real hub on the hall's Mosquitto. Sync's progress rate limit runs on an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.local import LocalHall
from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.model import Source
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from sync.service import SyncService
from tests.sync.citykit import HALL_ID, hall_clock, wait_until, write_sync_config
from tests.sync.phonekit import Tick, paper, phone_hall, run, start_phone_sync

CITIZEN = {"name_masked": "张*", "id_hash": "9f2c" * 16, "phone_tail": "5678"}
PERSONAL = ("name_masked", "phone_tail", "id_hash", "citizen")


@pytest.fixture
def clock() -> Any:
    return hall_clock("09:30")


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
def phall(tmp_path: Path, clock: Any) -> Iterator[LocalHall]:
    with phone_hall(tmp_path / "hall", clock, remote_limit_per_service=2) as h:
        yield h


@pytest.fixture
def sync(phall: LocalHall, city_broker: CityBroker, pki: Pki, tick: Tick) -> Iterator[SyncService]:
    s = start_phone_sync(phall, write_sync_config(phall, city_broker, pki), tick)
    assert wait_until(lambda: s.link.connected)
    yield s
    s.stop()


@pytest.fixture
def phones(peer: CityPeer, clock: Any) -> Any:
    peer.phones.wall = clock.wall  # the city and the hall agree on the time
    return peer.phones


def request(phones: Any, service: str = "SB-001", **kw: Any) -> dict[str, Any]:
    rid = phones.request(HALL_ID, service, **kw)
    got = phones.wait_result(rid, 15)
    assert got is not None, "no ticket-result"
    return dict(got)


def remote_tickets(hall: LocalHall) -> list[Any]:
    return [t for t in hall.store.state.tickets.values() if t.source is Source.REMOTE]


def progress_of(phones: Any, tid: str) -> list[dict[str, Any]]:
    return list(phones.progress(tid))


def test_a_request_gives_one_ticket_and_the_same_result_again(
    phall: LocalHall, sync: SyncService, phones: Any
) -> None:
    paper(phall, 3)
    first = request(phones, citizen=CITIZEN, request_id="RT20261127000042")
    assert first["ok"] is True and first["service"] == "SB-001"
    assert first["number"].startswith("A") and first["waiting_ahead"] == 3
    assert first["arrive_by"].startswith("2026-11-27T10:30") and first["arrive_by"][-6:] == "+08:00"
    assert isinstance(first["est_wait_min"], int | None)
    assert len(remote_tickets(phall)) == 1
    # the same request again (a retry of the mini-program, a redelivery): the same result
    phones.request(HALL_ID, "SB-001", citizen=CITIZEN, request_id="RT20261127000042")
    wait_until(lambda: len(phones.results("RT20261127000042")) == 2, 15)
    again = phones.results("RT20261127000042")
    assert again[0] == again[1]
    assert len(remote_tickets(phall)) == 1
    issued = [e for e in phall.events() if e["type"] == "ticket.issued"]
    assert issued[-1]["data"]["source"] == "remote"
    assert issued[-1]["data"]["request_id"] == "RT20261127000042"


def test_an_expired_request_is_refused_and_no_ticket_appears(
    phall: LocalHall, sync: SyncService, phones: Any
) -> None:
    got = request(phones, ttl_s=-1)  # it waited in the session longer than the citizen
    assert got == {
        "v": 1,
        "request_id": got["request_id"],
        "ok": False,
        "code": "expired",
        "reason": got["reason"],
    }
    assert got["reason"] and remote_tickets(phall) == []


def test_each_refusal_of_the_hall_reaches_the_city(
    phall: LocalHall, sync: SyncService, phones: Any
) -> None:
    paper(phall, 1, "YB-002")  # the day's only YB-002 ticket
    codes = {
        "service_unknown": request(phones, "XX-999")["code"],
        "not_appointable_remotely": request(phones, "HY-001")["code"],
        "quota_reached": request(phones, "YB-002")["code"],
        "outside_hours": request(phones, "HJ-001")["code"],
    }
    assert request(phones, "SB-001", citizen=CITIZEN)["ok"]
    codes["duplicate_citizen"] = request(phones, "SB-001", citizen=CITIZEN)["code"]
    assert request(phones, "SB-002")["ok"] and request(phones, "SB-002")["ok"]
    codes["remote_limit"] = request(phones, "SB-002")["code"]  # the hall allows 2 waiting
    run(phall, c.CloseDay())
    codes["day_closed"] = request(phones, "SB-001")["code"]
    assert codes == {k: k for k in codes}
    issued = [e["data"] for e in phall.events() if e["type"] == "ticket.issued"]
    assert sum(1 for d in issued if d["source"] == "remote") == 3


def test_geofence_arrival_makes_the_ticket_callable_and_the_call_carries_the_counter(
    phall: LocalHall, sync: SyncService, phones: Any, tick: Tick
) -> None:
    res = request(phones, citizen=CITIZEN)
    tid = res["ticket_id"]
    run(phall, c.SignIn("1", "0101"))
    with pytest.raises(Refused) as nothing:  # not arrived: passed over, nothing to call
        run(phall, c.CallNext("1"))
    assert nothing.value.code == "queue_empty"
    phones.arrived(HALL_ID, tid)
    wait_until(lambda: phall.store.state.tickets[tid].arrived, 15)
    arrived = wait_until(lambda: [m for m in progress_of(phones, tid) if m["arrived"]], 15)
    assert arrived[0]["status"] == "waiting"
    called = run(phall, c.CallNext("1"))
    assert called["ticket_id"] == tid
    msgs = wait_until(lambda: [m for m in progress_of(phones, tid) if m["status"] == "called"])
    assert msgs[0]["counter"] == "1" and tick.t == 1000.0  # at once, whatever the rate limit


def test_watching_a_paper_ticket_gives_its_progress_without_personal_data(
    phall: LocalHall, sync: SyncService, phones: Any
) -> None:
    ticket = paper(phall, 2)[-1]
    request(phones, citizen=CITIZEN)  # a remote ticket with a masked name and phone tail
    phones.watch(HALL_ID, ticket["ticket_id"])
    got = wait_until(lambda: progress_of(phones, ticket["ticket_id"]), 15)
    assert got[0]["number"] == ticket["number"] and got[0]["status"] == "waiting"
    assert got[0]["waiting_ahead"] == 1
    for m in phones.progress():
        assert set(m) == {
            "v",
            "ticket_id",
            "number",
            "status",
            "arrived",
            "waiting_ahead",
            "est_wait_min",
            "counter",
            "approaching",
            "at",
        }
        assert not any(k in m for k in PERSONAL)
        # the ticket id is random hex: it may hold "5678" or "9f2c" by chance (it did once)
        text = str({k: v for k, v in m.items() if k != "ticket_id"})
        assert "张" not in text and "5678" not in text and "9f2c" not in text


def test_waiting_ahead_changes_within_30_s_give_one_message_and_approaching_goes_at_once(
    phall: LocalHall, sync: SyncService, phones: Any, tick: Tick
) -> None:
    paper(phall, 8)
    tid = request(phones)["ticket_id"]
    first = wait_until(lambda: progress_of(phones, tid), 15)
    assert first[0]["waiting_ahead"] == 8 and first[0]["approaching"] is False
    run(phall, c.SignIn("1", "0101"))
    for n in (1, 2, 3):  # ahead 7, 6, 5 inside the window: held, not sent
        held = sync.progress.stats["held"]
        run(phall, c.CallNext("1"))
        run(phall, c.Finish("1"))
        wait_until(lambda h=held: sync.progress.stats["held"] > h, 15)
        assert tick.t == 1000.0, n
    tick.t += 30.0  # the window ends: the latest place goes out, once
    got = wait_until(lambda: len(progress_of(phones, tid)) >= 2 and progress_of(phones, tid), 15)
    assert [m["waiting_ahead"] for m in got] == [8, 5]
    # two more calls: ahead 3 is within the reminder threshold, sent at once in the window
    run(phall, c.CallNext("1"))
    run(phall, c.Finish("1"))
    run(phall, c.CallNext("1"))
    got = wait_until(lambda: [m for m in progress_of(phones, tid) if m["approaching"]], 15)
    assert got[0]["waiting_ahead"] == 3 and tick.t == 1030.0
    assert sync.progress.stats["reminders"] == 1


def test_invalid_city_messages_change_nothing(
    phall: LocalHall, sync: SyncService, phones: Any
) -> None:
    before = len(phall.events())
    bad: list[tuple[str, dict[str, Any]]] = [
        ("ticket-request", {"v": 1, "request_id": "R1", "service": "SB-001"}),  # no expires
        ("ticket-request", {"v": 2, "request_id": "R2", "service": "SB-001", "expires": "x"}),
        ("ticket-request", {"v": 1, "request_id": "R 3", "service": "SB-001",
                            "expires": "2026-11-27T10:00:00+08:00"}),
        ("ticket-arrived", {"v": 1}),
        ("ticket-arrived", {"v": 1, "ticket_id": "abc", "how": "teleport"}),
        ("watch", {"v": 1, "ticket_id": 42}),
    ]  # fmt: skip
    for kind, payload in bad:
        phones.send(HALL_ID, kind, payload)
    wait_until(lambda: sync.state.counters().get("refused_invalid", 0) >= len(bad), 15)
    # the stream goes on: a valid request after them is answered
    assert request(phones)["ok"]
    assert len(phall.events()) == before + 1
    refused = sync.state.refused()
    assert {r["kind"] for r in refused} >= {"ticket-request", "ticket-arrived", "watch"}
