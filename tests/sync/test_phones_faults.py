"""云叫号 under faults (contract v1.1 "Remote tickets and ticket progress"), through the real
hub and sync against the product's city peer on real Mosquitto brokers (the city's with TLS
and the contract's ACLs, the hall's with a password per role):

- duplicates and reordering: a request applied once per `request_id`, the same result to
  every copy, the numbers in the order the hall applied the requests;
- an outage: requests wait in sync's persistent session on the city broker; those whose
  `expires` passed meanwhile are refused `expired` with no ticket, the others get theirs;
- `python -m appliance sync` SIGKILLed between the hub's ticket and the city's PUBACK of
  the result: the result still goes out, and no second ticket is made.
Every wait is on a condition with a timeout (`wait_until`), never a sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock, rfc3339
from hall.mqttvalues import Ack
from sync import wire
from sync.city_peer.broker import ACL_TEXT, CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.phones import CityPhones
from sync.city_peer.pki import Pki
from sync.state import SyncState
from tests.sync.citykit import HALL_ID, TZ, hall_clock, wait_until, write_sync_config
from tests.sync.phonekit import Tick, paper, phone_hall, start_phone_sync

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FixedClock:
    return hall_clock("09:30")


@pytest.fixture
def phall(tmp_path: Path, clock: FixedClock) -> Iterator[LocalHall]:
    with phone_hall(tmp_path / "hall", clock) as h:
        yield h


@pytest.fixture
def phones(peer: CityPeer, clock: FixedClock) -> CityPhones:
    peer.phones.wall = clock.wall  # the city and the hall agree on the time
    return peer.phones


def issued_for(hall: LocalHall, request_id: str) -> list[dict[str, Any]]:
    """The hall's `ticket.issued` events of one request (its own log)."""
    return [
        e["data"]
        for e in hall.events()
        if e["type"] == "ticket.issued" and e["data"].get("request_id") == request_id
    ]


def ticket_request(clock: FixedClock, rid: str, ttl_s: float, service: str = "SB-001") -> bytes:
    """A `ticket-request` as the city's mini-program makes it, `ttl_s` to live from now."""
    now = clock.wall()
    return wire.encode(
        {
            "v": 1,
            "request_id": rid,
            "service": service,
            "priority": "normal",
            "channel": "mini_program",
            "requested_at": rfc3339(now, TZ),
            "expires": rfc3339(now + ttl_s, TZ),
        }
    )


def publish_acked(peer: CityPeer, kind: str, data: bytes) -> None:
    """Publish down to the hall and wait for the city broker's PUBACK: from then on the
    broker holds the message for the hall's session, whether sync is connected or not."""
    ack: Ack | None = peer.link.send(wire.down(HALL_ID, kind), data, qos=1)
    assert ack is not None and ack.wait(10) and ack.ok, "the city broker did not take it"


def _sync_counter(cfg: Path, name: str) -> int:
    """One of sync's counters, from its state file (as `hall sync status` reads it)."""
    path = cfg.parent / "sync.db"
    if not path.exists():
        return 0
    state = SyncState(path, readonly=True)
    try:
        return state.counters().get(name, 0)
    finally:
        state.close()


def _connected(peer: CityPeer, hall: LocalHall) -> bool:
    """The sync process is subscribed on the city broker: the city acked the hall's log."""
    return peer.wait_acked(HALL_ID, len(hall.events()), 30)


# --- duplicates and reordering -------------------------------------------------------------


def test_duplicated_and_reordered_requests_give_one_ticket_each_and_the_same_results(
    phall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, phones: CityPhones
) -> None:
    sync = start_phone_sync(phall, write_sync_config(phall, city_broker, pki), Tick())
    try:
        paper(phall, 2)
        assert _connected(peer, phall)  # subscribed: nothing the city sends is lost
        # RT…03 three times, interleaved with RT…01 and RT…02 (twice each), the ids in
        # another order than they are sent: the mini-program retried, the city redelivered.
        sent = ["RT0000000003", "RT0000000001", "RT0000000003", "RT0000000002"]
        sent += ["RT0000000001", "RT0000000003", "RT0000000002"]
        for rid in sent:
            phones.request(HALL_ID, "SB-001", request_id=rid, ttl_s=3600)
        wanted = {rid: sent.count(rid) for rid in sent}
        for rid, n in wanted.items():
            wait_until(lambda rid=rid, n=n: len(phones.results(rid)) >= n, 20)
        order = list(dict.fromkeys(sent))  # as the hall first got them: 03, 01, 02
        numbers = []
        for rid in order:
            results = phones.results(rid)
            assert len(results) == wanted[rid]
            assert all(r == results[0] for r in results), results  # the same result again
            assert results[0]["ok"] is True
            tickets = issued_for(phall, rid)
            assert len(tickets) == 1, (rid, tickets)  # one ticket per request_id
            assert tickets[0]["ticket_id"] == results[0]["ticket_id"]
            assert tickets[0]["number"] == results[0]["number"]
            numbers.append((tickets[0]["serial"], results[0]["waiting_ahead"]))
        # numbers in the order the hall applied them, each behind the ones before it
        assert numbers == [(3, 2), (4, 3), (5, 4)]
    finally:
        sync.stop()


# --- a request that waited in the session through an outage ------------------------------


def test_requests_that_waited_out_an_outage_are_refused_expired_the_others_issued(
    phall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer, clock: FixedClock
) -> None:
    """Sync is down (stopped: its persistent session stays on the city broker, `clean_start`
    off with a 7-day session expiry, `sync.link.city_options`) while the city publishes four
    requests at QoS 1; the hall's clock moves 10 minutes on meanwhile. When sync is back the
    broker delivers them from the session: the two that lived 5 minutes are refused
    `expired` (measured on the hall's clock when applied) and make no ticket; the two that
    live an hour get their tickets."""
    cfg = write_sync_config(phall, city_broker, pki)
    sync = start_phone_sync(phall, cfg, Tick())
    try:
        paper(phall, 1)
        assert _connected(peer, phall)  # the session and its subscriptions are on the broker
    finally:
        sync.stop()
    assert not sync.link.connected
    requests = {"RT0000000101": 300, "RT0000000102": 3600, "RT0000000103": 300}
    requests["RT0000000104"] = 3600
    for rid, ttl in requests.items():
        publish_acked(peer, "ticket-request", ticket_request(clock, rid, ttl))
    clock.advance(600)  # the outage lasts ten minutes of the hall's time
    assert not any(peer.phones.results(rid) for rid in requests)  # nobody answered yet
    sync = start_phone_sync(phall, cfg, Tick())
    try:
        got = {rid: wait_until(lambda rid=rid: peer.phones.result(rid), 20) for rid in requests}
        assert sync.state.counters()["remote_refused_expired"] == 2
    finally:
        sync.stop()
    for rid, ttl in requests.items():
        if ttl == 300:
            assert got[rid]["ok"] is False and got[rid]["code"] == "expired", got[rid]
            assert issued_for(phall, rid) == []  # no ticket for a citizen who gave up
        else:
            assert got[rid]["ok"] is True, got[rid]
            assert [t["ticket_id"] for t in issued_for(phall, rid)] == [got[rid]["ticket_id"]]


# --- SIGKILL of sync between the ticket and its result -----------------------------------


def _sync_process(cfg: Path, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "appliance", "sync", "--config", str(cfg)],
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )


def _set_acl(broker: CityBroker, text: str) -> None:
    """A new ACL for the running city broker (Mosquitto reads its acl_file again on SIGHUP)."""
    broker.acl_path.write_text(text, encoding="utf-8")
    pid = broker.pid
    assert pid is not None
    os.kill(pid, signal.SIGHUP)


RESULTS_DENIED = ACL_TEXT + "pattern deny cityq/v1/halls/%u/up/ticket-result\n"


@pytest.mark.allow_logged_exceptions
def test_sync_killed_between_the_ticket_and_its_result_sends_it_once_and_makes_no_second_ticket(
    tmp_path: Path,
    phall: LocalHall,
    city_broker: CityBroker,
    pki: Pki,
    peer: CityPeer,
    phones: CityPhones,
) -> None:
    """Deterministic: the city broker refuses the hall's `ticket-result` (its ACL denies the
    topic, a PUBACK "not authorized"), so sync, which finishes a request only after the
    PUBACK of its result, holds it; we SIGKILL the process once the hub's log has the ticket
    and sync's log says the result was refused, lift the ACL and start sync again. The
    stored request is applied again, the hub answers its idempotency key `remote/<id>` with
    the same ticket, and the result reaches the city.

    What is asserted: exactly one `ticket.issued` for the request in the hall's log, and
    exactly one `ticket-result` at the city (the refused copy never left the broker),
    carrying that ticket. The contract ("a request is applied once per request_id: the same
    request again gets the same result") would let the city see an identical second copy
    when the kill lands after the broker took the result but before sync heard its PUBACK;
    that race is the last test's."""
    cfg = write_sync_config(phall, city_broker, pki, id="sync-proc", keepalive_s=2)
    phall.add_device("sync-proc", "sync")  # the process below, with its own password
    _set_acl(city_broker, RESULTS_DENIED)
    with open(tmp_path / "sync.log", "ab") as log:
        proc = _sync_process(cfg, log)
        try:
            assert _connected(peer, phall)
            rid = phones.request(HALL_ID, "SB-001", request_id="RT0000000201", ttl_s=3600)
            ticket = wait_until(lambda: issued_for(phall, rid), 30)
            # sync sent the result and the broker answered "not authorized"
            wait_until(lambda: _sync_counter(cfg, "ticket_results_unsent") >= 1, 20)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            assert phones.results(rid) == []  # the city never had a result from it
            _set_acl(city_broker, ACL_TEXT)
            proc = _sync_process(cfg, log)
            got = wait_until(lambda: phones.result(rid), 30)
            assert got["ok"] is True and got["ticket_id"] == ticket[0]["ticket_id"]
            # the stream goes on behind it: a later request is answered, so the first
            # request's item is finished and sent nothing more
            later = phones.request(HALL_ID, "SB-002", request_id="RT0000000202", ttl_s=3600)
            assert wait_until(lambda: phones.result(later), 30)["ok"] is True
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    assert len(phones.results(rid)) == 1
    assert len(issued_for(phall, rid)) == 1


@pytest.mark.allow_logged_exceptions
def test_sync_killed_right_after_the_ticket_gives_the_city_the_same_result_and_one_ticket(
    tmp_path: Path,
    phall: LocalHall,
    city_broker: CityBroker,
    pki: Pki,
    peer: CityPeer,
    phones: CityPhones,
) -> None:
    """The race the contract allows: SIGKILL the moment the hub's log has the ticket,
    whatever sync had done with the result (not sent, sent without its PUBACK heard, or
    finished). Asserted: one ticket for the request; the city has the result (one copy, or
    two identical ones: "the same request again gets the same result"), for that ticket."""
    cfg = write_sync_config(phall, city_broker, pki, id="sync-proc", keepalive_s=2)
    phall.add_device("sync-proc", "sync")
    with open(tmp_path / "sync.log", "ab") as log:
        proc = _sync_process(cfg, log)
        try:
            assert _connected(peer, phall)
            rid = phones.request(HALL_ID, "SB-001", request_id="RT0000000301", ttl_s=3600)
            ticket = wait_until(lambda: issued_for(phall, rid), 30, step=0.001)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc = _sync_process(cfg, log)
            wait_until(lambda: phones.result(rid), 30)
            later = phones.request(HALL_ID, "SB-002", request_id="RT0000000302", ttl_s=3600)
            assert wait_until(lambda: phones.result(later), 30)["ok"] is True
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    results = phones.results(rid)
    assert 1 <= len(results) <= 2 and all(r == results[0] for r in results), results
    assert results[0]["ok"] is True and results[0]["ticket_id"] == ticket[0]["ticket_id"]
    assert len(issued_for(phall, rid)) == 1
