"""The city peer's rules without a broker: events stored in order only with their h chain
checked, acks, rejections, sync pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hall.core import chain
from sync import wire
from sync.city_peer.core import CityCore, id_hash
from sync.city_peer.store import CityStore

H = "410411-ZH01"
AT = "2026-11-27T09:00:00.000+08:00"


def ev(seq: int, etype: str = "ticket.issued", **data: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": f"e{seq}",
        "type": etype,
        "at": AT,
        "data": data or {"service": "SB-001"},
    }


def chained(events: list[dict[str, Any]], previous: str = chain.GENESIS) -> list[dict[str, Any]]:
    """The events with the h chain the hall computes (hall.core.chain), from `previous`."""
    out = []
    for e in events:
        e = {**e, "h": chain.link(previous, e)}
        previous = e["h"]
        out.append(e)
    return out


LOG = chained([ev(s) for s in range(1, 21)])  # the hall's log: 20 events with h


def batch(first: int, last: int, hall: str = H, **over: Any) -> bytes:
    b = {
        "v": 1,
        "hall_id": hall,
        "first_seq": first,
        "last_seq": last,
        "events": [LOG[s - 1] for s in range(first, last + 1)],
        **over,
    }
    return json.dumps(b).encode()


@pytest.fixture
def city(tmp_path: Path) -> tuple[CityCore, list[tuple[str, dict[str, Any], bool]]]:
    out: list[tuple[str, dict[str, Any], bool]] = []
    core = CityCore(CityStore(tmp_path / "city.db"), lambda t, p, r: out.append((t, p, r)), seed=1)
    return core, out


EV = wire.up(H, "events")


def acks(out: list[tuple[str, dict[str, Any], bool]]) -> list[int]:
    return [p["acked_through"] for t, p, _ in out if t.endswith("events-ack")]


def test_events_are_stored_in_order_only(city: Any) -> None:
    core, out = city
    core.handle(EV, batch(1, 3))
    core.handle(EV, batch(1, 3))  # again: acked again, stored once
    core.handle(EV, batch(7, 9))  # past acked_through + 1: answered with 3, not stored
    core.handle(EV, batch(4, 6))
    core.handle(EV, batch(2, 8))  # overlapping: what it has is acked again, 7..8 stored
    assert acks(out) == [3, 3, 3, 6, 8]
    assert [e["seq"] for e in core.store.events(H)] == list(range(1, 9))
    assert [e["h"] for e in core.store.events(H)] == [e["h"] for e in LOG[:8]]
    counts = core.store.counters()
    assert counts["events_stored"] == 8 and counts["events_duplicate"] == 3 + 5
    assert counts["gap_batches"] == 1 and core.store.hall(H)["gap_batches"] == 1
    assert core.store.hall(H)["chain_breaks"] == 0 and core.store.rejected(H) == []


def test_a_break_in_the_h_chain_is_counted_listed_and_does_not_block(city: Any) -> None:
    core, out = city
    core.handle(EV, batch(1, 4))
    changed = [{**LOG[4], "data": {"service": "YB-001"}}, *LOG[5:8]]  # seq 5 changed after h
    b = {"v": 1, "hall_id": H, "first_seq": 5, "last_seq": 8, "events": changed}
    core.handle(EV, json.dumps(b).encode())
    ack = [p for t, p, _ in out if t.endswith("events-ack")][-1]
    assert ack["acked_through"] == 8
    assert [(r["seq"], r["code"]) for r in ack["rejected"]] == [(5, "chain_break")]
    assert core.store.hall(H)["chain_breaks"] == 1  # 6..8 follow from the h that came
    assert core.store.counters()["chain_breaks"] == 1
    no_h = {k: v for k, v in LOG[8].items() if k != "h"}  # once h was sent, it must stay
    b = {"v": 1, "hall_id": H, "first_seq": 9, "last_seq": 9, "events": [no_h]}
    core.handle(EV, json.dumps(b).encode())
    assert core.store.hall(H)["chain_breaks"] == 2
    assert core.store.rejected(H)[-1]["seq"] == 9


def test_the_chain_is_checked_across_batches_and_restarts(tmp_path: Path) -> None:
    out: list[Any] = []
    core = CityCore(CityStore(tmp_path / "c.db"), lambda t, p, r: out.append(p))
    core.handle(EV, batch(1, 10))
    core.store.close()
    core = CityCore(CityStore(tmp_path / "c.db"), lambda t, p, r: out.append(p))
    core.handle(EV, batch(11, 20))
    assert out[-1] == {"v": 1, "acked_through": 20}
    assert core.store.hall(H)["chain_breaks"] == 0


def test_a_hall_without_h_is_no_break_and_one_that_starts_h_is_checked_from_there(
    city: Any,
) -> None:
    core, out = city
    plain = [ev(s) for s in range(1, 4)]
    b = {"v": 1, "hall_id": H, "first_seq": 1, "last_seq": 3, "events": plain}
    core.handle(EV, json.dumps(b).encode())
    later = chained([ev(s) for s in range(4, 7)], previous="ab" * 32)  # h(3) never sent
    later[2] = {**later[2], "data": {"service": "changed"}}
    b = {"v": 1, "hall_id": H, "first_seq": 4, "last_seq": 6, "events": later}
    core.handle(EV, json.dumps(b).encode())
    assert acks(out) == [3, 6]
    assert [r["seq"] for r in core.store.rejected(H)] == [6]


def test_a_repeated_seq_with_another_id_is_counted(city: Any) -> None:
    core, _out = city
    core.handle(EV, batch(1, 3))
    other = [{**e, "id": f"x{e['seq']}"} for e in LOG[:3]]
    b = {"v": 1, "hall_id": H, "first_seq": 1, "last_seq": 3, "events": other}
    core.handle(EV, json.dumps(b).encode())
    assert core.store.counters()["events_conflicting"] == 3
    assert [e["id"] for e in core.store.events(H)] == ["e1", "e2", "e3"]  # kept as first stored


def test_rejected_events_are_stored_listed_and_do_not_block(city: Any) -> None:
    core, out = city
    core.publish_catalog(H, {"version": 1, "services": [{"code": "SB-001"}]})
    b = {
        "v": 1,
        "hall_id": H,
        "first_seq": 1,
        "last_seq": 3,
        "events": chained(
            [ev(1), ev(2, service="XX-999"), ev(3, "evaluation.submitted", rating=9)]
        ),
    }
    core.handle(EV, json.dumps(b).encode())
    ack = next(p for t, p, _ in out if t.endswith("events-ack"))
    assert ack["acked_through"] == 3
    assert [(r["seq"], r["code"]) for r in ack["rejected"]] == [
        (2, "unknown_service"),
        (3, "bad_rating"),
    ]
    assert core.store.event_count(H) == 3


@pytest.mark.parametrize(
    ("topic", "data", "counter"),
    [
        (EV, batch(1, 2, hall="410402-XH01"), "refused_foreign_hall"),
        (EV, b"{not json", "refused_invalid_json"),
        (EV, b"x" * (300 * 1024), "refused_oversized"),
        (
            EV,
            json.dumps(
                {"v": 1, "hall_id": H, "first_seq": 1, "last_seq": 2, "events": [ev(2), ev(1)]}
            ).encode(),
            "refused_bad_batch",
        ),
        (wire.down(H, "events-ack"), b'{"v":1,"acked_through":1}', "refused_unexpected"),
    ],
)
def test_invalid_messages_are_counted_and_dropped(
    city: Any, topic: str, data: bytes, counter: str
) -> None:
    core, out = city
    core.handle(topic, data)
    assert core.store.counters()[counter] == 1
    assert core.store.event_count(H) == 0 and acks(out) == []
    core.handle(EV, batch(1, 1))  # the stream goes on
    assert acks(out) == [1]


def test_personal_data_is_not_stored(city: Any) -> None:
    core, _out = city
    b = {
        "v": 1,
        "hall_id": H,
        "first_seq": 1,
        "last_seq": 1,
        "events": [ev(1, "ticket.issued", service="SB-001", phone="13800000000")],
    }
    core.handle(EV, json.dumps(b).encode())
    assert core.store.events(H)[0]["data"] == {"redacted": True}
    assert core.store.rejected(H)[0]["code"] == "personal_data"


def test_appointments_cursor_pages_and_settlement(city: Any) -> None:
    core, out = city
    ids = [core.book(H, "SB-001", "2026-11-27", "09:00", "09:30")["id"] for _ in range(1203)]
    core.reschedule(ids[0], slot_start="10:00", slot_end="10:30")
    core.cancel(ids[1])
    pushes = [p for t, p, _ in out if t.endswith("/appointments")]
    assert [p["cursor"] for p in pushes[:3]] == [1, 2, 3]
    assert pushes[-1]["changes"][0]["status"] == "cancelled"
    assert pushes[-1]["changes"][0]["version"] == 2
    out.clear()
    core.handle(wire.up(H, "appointments-sync"), b'{"v":1,"after":100}')
    pages = [p for t, p, _ in out if t.endswith("/appointments")]
    assert [(p["after"], p["cursor"], len(p["changes"])) for p in pages] == [
        (100, 600, 500),
        (600, 1100, 500),
        (1100, 1205, 105),
    ]
    assert all(len(wire.encode(p)) <= wire.MAX_PAYLOAD for p in pages)
    b = {
        "v": 1,
        "hall_id": H,
        "first_seq": 1,
        "last_seq": 2,
        "events": [
            ev(1, "appointment.checked_in", appointment_id=ids[1], number="A001", ticket_id="t"),
            ev(2, "appointment.no_show", appointment_id=ids[2]),
        ],
    }
    core.handle(EV, json.dumps(b).encode())
    a1, a2 = core.store.appointment(ids[1]), core.store.appointment(ids[2])
    assert a1 and a1["status"] == "cancelled" and a1["settled"] == "checked_in"
    assert a1["ticket"] == "A001"
    assert a2 and a2["settled"] == "no_show"


def test_id_hash_is_hmac_of_the_upper_case_number() -> None:
    h = id_hash("41040219900101123x", b"city-key")
    assert h == id_hash("41040219900101123X", b"city-key") and len(h) == 64
