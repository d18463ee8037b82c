"""Pure pieces: the wire (topics, limits, schemas), TOML writing, backoff, load and throttle."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hall import tomlwrite
from hall.backoff import Backoff
from sync import telemetry, wire

ROOT = Path(__file__).resolve().parents[2]
H = "410411-ZH01"

CONTRACT_EXAMPLES = {
    "eventBatch": {
        "v": 1,
        "hall_id": H,
        "first_seq": 101,
        "last_seq": 102,
        "events": [
            {
                "seq": 101,
                "id": "0b9e",
                "type": "ticket.issued",
                "at": "2026-11-27T09:01:02.123+08:00",
                "data": {
                    "ticket_id": "t",
                    "number": "A012",
                    "service": "SB-001",
                    "source": "walk_in",
                    "waiting_ahead": 4,
                },
            },
            {
                "seq": 102,
                "id": "5c1d",
                "type": "ticket.called",
                "at": "2026-11-27T09:05:40.010+08:00",
                "data": {
                    "ticket_id": "t",
                    "number": "A012",
                    "counter": "3",
                    "staff": "1024",
                    "recall": False,
                },
            },
        ],
    },
    "eventsAck": {
        "v": 1,
        "acked_through": 150,
        "rejected": [{"seq": 120, "code": "unknown_service", "reason": "…"}],
    },
    "appointmentsSync": {"v": 1, "after": 1234},
    "appointmentsPage": {"v": 1, "cursor": 1240, "changes": [{}]},
    "appointmentChange": {
        "id": "AP20261127000123",
        "version": 3,
        "status": "booked",
        "service": "SB-001",
        "date": "2026-11-27",
        "slot_start": "09:00",
        "slot_end": "09:30",
        "code": "482913",
        "citizen": {"name_masked": "张*", "id_hash": "9f2c" * 16, "phone_tail": "5678"},
        "priority": "normal",
        "channel": "mini_program",
    },
    "catalog": json.loads((ROOT / "appliance/sim/data/catalog.json").read_text("utf-8")),
    "status": {
        "v": 1,
        "online": True,
        "software": "1.0.0",
        "boot_id": "x",
        "since": "2026-11-27T09:00:00+08:00",
    },
    "configReported": {"v": 1, "version": 7, "applied": True},
    "load": {
        "v": 1,
        "at": "2026-11-27T10:00:00+08:00",
        "open": True,
        "services": {"SB-001": {"waiting": 7, "est_wait_min": 18, "open_counters": 2}},
    },
    "command": {"v": 1, "command": "resend_events", "from_seq": 90},
    "directory": json.loads((ROOT / "appliance/sim/data/directory.json").read_text("utf-8")),
    "cloudStatus": {"v": 1, "online": True},
}


@pytest.mark.parametrize("name", sorted(CONTRACT_EXAMPLES))
def test_contract_examples_are_valid(name: str) -> None:
    assert wire.problems(name, CONTRACT_EXAMPLES[name]) == []


def test_unknown_fields_are_ignored_and_bad_ones_named() -> None:
    assert wire.problems("eventsAck", {"v": 1, "acked_through": 3, "later": "field"}) == []
    assert wire.problems("eventsAck", {"v": 2, "acked_through": -1}) == [
        "acked_through: fails 'minimum'",
        "v: fails 'const'",
    ]


def test_topics_and_routes() -> None:
    assert wire.up(H, "events") == "cityq/v1/halls/410411-ZH01/up/events"
    assert wire.down(H, "events-ack") == "cityq/v1/halls/410411-ZH01/down/events-ack"
    assert wire.client_id(H) == "hall-410411-ZH01"
    assert wire.route("cityq/v1/halls/410411-ZH01/down/config") == wire.Route(H, "down", "config")
    assert wire.route(wire.DIRECTORY) == wire.Route("", "down", "directory")
    for bad in (
        "cityq/v1/halls/x/down/config",
        "cityq/v1/halls/410411-ZH01/down/other",
        "other/topic",
        "cityq/v1/halls/410411-ZH01/sideways/events",
    ):
        assert wire.route(bad) is None
    assert wire.hall_subscriptions(H) == [
        "cityq/v1/halls/410411-ZH01/down/#",
        "cityq/v1/directory",
        "cityq/v1/cloud/status",
        "cityq/v1/halls/+/up/load",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x" * (256 * 1024 + 1), "oversized"),
        (b"\xff\xfe", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"v": NaN}', "invalid_json"),
        (b'{"v": 1}', "invalid"),
    ],
)
def test_parse_refuses(data: bytes, reason: str) -> None:
    with pytest.raises(wire.Invalid) as exc:
        wire.parse(wire.down(H, "events-ack"), data)
    assert exc.value.reason == reason
    assert "NaN" not in str(exc.value)  # never echoes the content


def test_parse_refuses_unknown_topic() -> None:
    with pytest.raises(wire.Invalid) as exc:
        wire.parse("cityq/v1/halls/410411-ZH01/down/nope", b"{}")
    assert exc.value.reason == "unknown_topic"


# --- TOML ---------------------------------------------------------------------------------


def test_toml_round_trips_the_sample_config() -> None:
    raw = tomllib.loads((ROOT / "appliance/sim/data/county-hall.toml").read_text("utf-8"))
    raw["sync"] = {"managed_sections": ["queue"], "reload_command": [], "x": 1.5, "y": True}
    text = tomlwrite.dumps(raw, header="written by a test\nsecond line")
    assert text.startswith("# written by a test\n# second line\n")
    assert tomllib.loads(text) == raw


_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
_keys = st.text(min_size=1, max_size=8)
_tables = st.recursive(
    st.dictionaries(_keys, st.one_of(_scalars, st.lists(_scalars, max_size=3)), max_size=4),
    lambda inner: st.dictionaries(
        _keys, st.one_of(inner, st.lists(inner, min_size=1, max_size=2)), max_size=3
    ),
    max_leaves=12,
)


@example({"0\n": False, "a b": {"0": [{"x": "\x7f"}]}})
@given(_tables)
def test_toml_round_trips_anything_tomllib_reads(data: dict[str, object]) -> None:
    assert tomllib.loads(tomlwrite.dumps(data)) == data


# --- backoff ------------------------------------------------------------------------------


def test_full_jitter_bounds_cap_and_reset() -> None:
    b = Backoff(1.0, 30.0, rand=lambda: 0.999999)
    delays = [b.next_delay() for _ in range(8)]
    assert delays[:5] == pytest.approx([1, 2, 4, 8, 16], rel=1e-5)
    assert max(delays) <= 30.0
    b.connected_for(5.0)  # a connection that did not hold: keep backing off
    assert b.ceiling() == 30.0
    b.connected_for(120.0)
    assert b.ceiling() == 1.0
    zero = Backoff(1.0, 30.0, rand=lambda: 0.0)
    assert zero.next_delay() == 0.0


def test_the_first_retry_after_a_connection_that_held_is_quick() -> None:
    b = Backoff(1.0, 300.0, first=0.1, rand=lambda: 0.999999, stable_after=60.0)
    for _ in range(5):
        b.next_delay()
    b.connected_for(120.0)  # held: dropped, then
    assert b.next_delay() == pytest.approx(0.1, rel=1e-5)  # quick
    assert b.next_delay() == pytest.approx(2.0, rel=1e-5)  # then backing off again
    b.connected_for(1.0)  # a flapping broker: no quick retry
    assert b.next_delay() == pytest.approx(4.0, rel=1e-5)
    assert Backoff(1.0, 30.0, first=5.0).first == 1.0  # never slower than the base


def test_full_jitter_spreads_a_crowd() -> None:
    import random

    rng = random.Random(7)
    halls = [Backoff(1.0, 300.0, rand=rng.random) for _ in range(2000)]
    for h in halls:
        for _ in range(10):
            h.next_delay()
    ds = sorted(h.next_delay() for h in halls)  # the 11th attempt: ceiling 300 s
    assert ds[0] < 5 and ds[-1] > 295
    assert 120 < ds[len(ds) // 2] < 180  # spread evenly, not all at once


# --- load and throttle --------------------------------------------------------------------

BOARD = {
    "services": [
        {"code": "SB-001", "waiting": 7, "est_wait_min": 18, "open_counters": 2},
        {"code": "YB-001", "waiting": 0, "est_wait_min": None, "open_counters": 0},
    ],
    "counters": [{"counter": "1", "state": "open"}, {"counter": "2", "state": "closed"}],
}


def test_load_from_board() -> None:
    assert telemetry.load_from_board(BOARD) == {
        "open": True,
        "services": {
            "SB-001": {"waiting": 7, "est_wait_min": 18, "open_counters": 2},
            "YB-001": {"waiting": 0, "est_wait_min": None, "open_counters": 0},
        },
    }
    assert telemetry.load_from_board(None) is None
    load = {"v": 1, "at": "2026-11-27T10:00:00+08:00", **telemetry.load_from_board(BOARD)}  # type: ignore[dict-item]
    assert wire.problems("load", load) == []


def test_throttle_on_change_at_most_every_interval() -> None:
    t = telemetry.Throttle(10.0)
    assert t.due("a", 0.0)
    t.sent("a", 0.0)
    assert not t.due("a", 50.0)  # no change, nothing to send
    assert not t.due("b", 5.0)  # a change inside the interval waits
    assert t.due("b", 10.0)
    t.sent("b", 10.0)
    t.reset()
    assert not t.due("b", 15.0) and t.due("b", 20.0)


def test_asyncapi_document_names_every_schema_it_uses() -> None:
    import yaml

    doc = yaml.safe_load((ROOT / "sync/schema/city-cloud.asyncapi.yaml").read_text("utf-8"))
    defs = wire.schema()["$defs"]
    for name, channel in doc["channels"].items():
        for msg in channel["messages"].values():
            assert msg["payload"]["$ref"].split("/")[-1] in defs, name
    kinds = {a.split("/")[-1] for a in (c["address"] for c in doc["channels"].values())}
    assert set(wire.UP) | set(wire.DOWN) <= kinds | {"status"}
