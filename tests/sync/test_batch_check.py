"""The city's quick paths give exactly what the slow ones give.

- An event batch is first checked by jsonschema-rs (`wire.RUST_CHECKED`): whatever it says,
  `wire.problems` must say what jsonschema, the reference validator, says (valid or not, and
  the same list of problems), and jsonschema-rs must never call valid what jsonschema refuses.
- The city's canonical JSON (`events.canonical`, the json module's C writer made once) is
  `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` for every value.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hall.jsonschemas import where
from sync import wire
from sync.city_peer import events
from sync.city_peer.core import CityCore
from sync.city_peer.store import CityStore

NAME = "eventBatch"
H = "410411-ZH01"
HEX = "0123456789abcdef" * 4


def reference(message: Any) -> list[str]:
    """What jsonschema alone says is wrong, in `wire.problems`'s words."""
    errors = wire.validator(NAME).iter_errors(message)
    return sorted(f"{where(e)}: fails '{e.validator}'" for e in errors)


def agrees(message: Any) -> None:
    expected = reference(message)
    assert wire.problems(NAME, message) == expected
    if wire.DOCUMENT.rust_check(NAME)(message):
        assert expected == [], "jsonschema-rs called valid what jsonschema refuses"


def event(seq: int = 1, **fields: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "seq": seq,
        "id": f"e{seq}",
        "type": "ticket.issued",
        "at": "2026-11-27T09:00:00.000+08:00",
        "data": {"service": "SB-001", "number": "A001"},
        "h": HEX,
    }
    e.update(fields)
    return e


def batch(*evs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    evs = evs or (event(),)
    b: dict[str, Any] = {
        "v": 1,
        "hall_id": H,
        "first_seq": evs[0].get("seq", 1),
        "last_seq": evs[-1].get("seq", 1),
        "events": list(evs),
    }
    b.update(fields)
    return b


def without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}


# Valid and broken batches, each rule of the definition and the edges of Python's types.
TABLE: dict[str, Any] = {
    "valid": batch(event(1), event(2)),
    "valid, no h": batch(without(event(), "h")),
    "valid, extra keys": batch(event(extra=1), note="x"),
    "valid, 500 events": batch(*[event(i + 1) for i in range(500)]),
    "valid, v 1.0": batch(v=1.0),
    "valid, seq 1.0": batch(event(seq=1.0)),
    "valid, huge seq": batch(event(seq=2**80)),
    "valid, 64-char id": batch(event(id="x" * 64)),
    "valid, UTC at": batch(event(at="2026-11-27T01:00:00Z")),
    "valid, lone surrogate in data": batch(event(data={"x": "\ud800"})),
    "valid, lone surrogate id": batch(event(id="\udc00")),
    "valid, huge number in data": batch(event(data={"x": 10**400})),
    "valid, NaN in data": batch(event(data={"x": float("nan")})),
    "valid, deep data": batch(event(data=json.loads('{"a":' * 200 + "1" + "}" * 200))),
    # Python's re lets `$` match before a final newline: jsonschema takes these
    "valid for jsonschema, type with newline": batch(event(type="ticket.issued\n")),
    "valid for jsonschema, h with newline": batch(event(h=HEX + "\n")),
    "valid for jsonschema, hall_id with newline": batch(hall_id=H + "\n"),
    "not an object": [batch()],
    "v true": batch(v=True),
    "v 2": batch(v=2),
    "no v": without(batch(), "v"),
    "no events": without(batch(), "events"),
    "no hall_id": without(batch(), "hall_id"),
    "bad hall_id": batch(hall_id="410411-zh01"),
    "hall_id number": batch(hall_id=410411),
    "first_seq 0": batch(first_seq=0),
    "first_seq bool": batch(first_seq=True),
    "last_seq string": batch(last_seq="2"),
    "last_seq 1.5": batch(last_seq=1.5),
    "empty events": batch(events=[]),
    "501 events": batch(*[event(i + 1) for i in range(501)]),
    "events an object": batch(events={"0": event()}),
    "event a list": batch(events=[[1]]),
    "event null": batch(events=[None]),
    "seq 0": batch(event(seq=0)),
    "seq -1": batch(event(seq=-1)),
    "seq bool": batch(event(seq=True)),
    "seq -0.0": batch(event(seq=-0.0)),
    "seq string": batch(event(seq="1")),
    "seq null": batch(event(seq=None)),
    "no seq": batch(without(event(), "seq")),
    "no id": batch(without(event(), "id")),
    "empty id": batch(event(id="")),
    "65-char id": batch(event(id="x" * 65)),
    "id number": batch(event(id=7)),
    "no type": batch(without(event(), "type")),
    "type without a dot": batch(event(type="ticketissued")),
    "type upper case": batch(event(type="Ticket.issued")),
    "type with a digit": batch(event(type="ticket.issued2")),
    "type full-width": batch(event(type="ｔicket.issued")),
    "no at": batch(without(event(), "at")),
    "at without zone": batch(event(at="2026-11-27T09:00:00")),
    "at a date": batch(event(at="2026-11-27")),
    "at with a space": batch(event(at="2026-11-27 09:00:00Z")),
    "at Arabic-Indic digits": batch(event(at="٢٠٢٦-11-27T09:00:00Z")),
    "at number": batch(event(at=1764205200)),
    "no data": batch(without(event(), "data")),
    "data a list": batch(event(data=[])),
    "data null": batch(event(data=None)),
    "data a string": batch(event(data="{}")),
    "h upper case": batch(event(h=HEX.upper())),
    "h short": batch(event(h=HEX[:-1])),
    "h long": batch(event(h=HEX + "0")),
    "h null": batch(event(h=None)),
    "h number": batch(event(h=1)),
    "second of many broken": batch(event(1), event(seq="2"), event(3)),
    "last of 500 broken": batch(*[event(i + 1) for i in range(499)], event(500, id="")),
    "several things broken": batch(event(seq=0, id="", h="x"), v=3, hall_id="x"),
}


@pytest.mark.parametrize("message", TABLE.values(), ids=TABLE.keys())
def test_quick_check_says_what_jsonschema_says(message: Any) -> None:
    agrees(message)


def test_the_table_has_both_outcomes() -> None:
    valid = [k for k, m in TABLE.items() if not reference(m)]
    assert all(k.startswith("valid") for k in valid)
    assert len(valid) == sum(1 for k in TABLE if k.startswith("valid"))


def test_a_tuple_is_taken_as_an_array_as_before() -> None:
    """`wire.problems` judges what `json.loads` makes, which has no tuples: jsonschema-rs,
    like fastjsonschema before it, takes a tuple as an array; jsonschema does not."""
    message = batch(events=(event(),))
    assert wire.DOCUMENT.rust_check(NAME)(message)
    wire.fast_check(NAME)(message)  # raises if it refuses
    assert reference(message) == ["events: fails 'type'"]


# --- generated batches: valid ones and one field broken in each ------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
lower = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
valid_events = st.builds(
    lambda seq, id_, a, b, at, data, h: {
        "seq": seq,
        "id": id_,
        "type": f"{a}.{b}",
        "at": at,
        "data": data,
        **({"h": h} if h is not None else {}),
    },
    st.integers(min_value=1, max_value=2**63),
    st.text(min_size=1, max_size=6) | st.sampled_from(("x" * 64, "中" * 64)),
    lower,
    lower,
    st.builds(
        "{:%Y-%m-%dT%H:%M:%S}{}{}".format,
        st.datetimes(min_value=datetime(1000, 1, 1)),
        st.sampled_from(("", ".5", ".123456")),
        st.sampled_from(("Z", "+08:00", "-00:30")),
    ),
    st.dictionaries(st.text(max_size=6), json_values, max_size=5),
    st.none() | st.binary(min_size=32, max_size=32).map(bytes.hex),
)
valid_batches = st.builds(
    lambda evs, hall: {
        "v": 1,
        "hall_id": hall,
        "first_seq": evs[0]["seq"],
        "last_seq": evs[-1]["seq"],
        "events": evs,
    },
    st.lists(valid_events, min_size=1, max_size=4),
    st.builds(
        "{:06d}-{}".format,
        st.integers(0, 999999),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12),
    ),
)
FIELDS = ("seq", "id", "type", "at", "data", "h")


@st.composite
def broken_batches(draw: st.DrawFn) -> Any:
    """A valid batch with one thing replaced by any JSON value (or removed)."""
    b = copy.deepcopy(draw(valid_batches))
    value = draw(json_values)
    where_ = draw(st.sampled_from(("top", "event", "events")))
    if where_ == "top":
        key = draw(st.sampled_from(("v", "hall_id", "first_seq", "last_seq", "events")))
        if draw(st.booleans()):
            b.pop(key)
        else:
            b[key] = value
    elif where_ == "events":
        b["events"] = value
    else:
        e = b["events"][draw(st.integers(0, len(b["events"]) - 1))]
        key = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            e.pop(key, None)
        else:
            e[key] = value
    return b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_batches)
def test_generated_valid_batches(message: dict[str, Any]) -> None:
    assert reference(message) == []
    assert wire.DOCUMENT.rust_check(NAME)(message)
    assert wire.problems(NAME, message) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_batches())
def test_generated_broken_batches(message: dict[str, Any]) -> None:
    agrees(message)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_batches)
def test_generated_batches_through_the_wire(message: dict[str, Any]) -> None:
    """As the city gets them: bytes parsed by `wire.parse`."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        _route, parsed = wire.parse(wire.up(H, "events"), data)
    except wire.Invalid as exc:
        assert exc.reason in ("invalid_json", "oversized")
        return
    assert reference(parsed) == []


# --- the city refuses a broken batch as before ---------------------------------------


def test_a_broken_batch_is_refused_and_counted(tmp_path: Any) -> None:
    out: list[tuple[str, dict[str, Any], bool]] = []
    core = CityCore(CityStore(tmp_path / "city.db"), lambda t, p, r: out.append((t, p, r)))
    topic = wire.up(H, "events")
    for message in (
        batch(event(seq=0)),
        batch(event(type="Ticket.issued")),
        batch(event(h=HEX.upper())),
    ):
        assert core.handle(topic, json.dumps(message).encode())
    assert core.store.counters() == {"refused_invalid": 3}
    assert core.store.event_count(H) == 0 and out == []
    with pytest.raises(wire.Invalid) as caught:
        wire.parse(topic, json.dumps(batch(event(seq=0))).encode())
    assert caught.value.detail == (
        "not a valid eventBatch: events/0/seq: fails 'minimum'; first_seq: fails 'minimum'; "
        "last_seq: fails 'minimum'"
    )
    core.store.close()


# --- canonical JSON ----------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(json_values | st.floats() | st.integers())
@example({"b": [1.5, None, True, '中\n"\u2028'], "a": {"z": -0.0, "y": 1e300}})
@example(float("inf"))
@example("just a string")
@example({"\ud800": "\udfff"})
def test_canonical_is_the_json_modules_sorted_compact_text(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert events.canonical(value) == expected


def test_texts_of_an_event() -> None:
    e = event(data={"z": 1, "a": "中"})
    body, data = events.texts(e)
    assert data == '{"a":"中","z":1}'
    assert body == json.dumps(
        without(e, "h"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
