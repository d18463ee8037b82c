"""The typed contracts and the published JSON Schemas say the same thing.

- each command class (hall/core/commands.py) has exactly the fields of its `<name>_args`
  schema, and the schema requires exactly the fields without a default;
- each result record (hall/core/results.py) has exactly the properties of its
  `<name>_result` schema, and the schema requires exactly the fields that are always there;
- the bus's own messages (hall/hubapi/messages.py) match `call` and `presence`;
- every event type has one payload class, round-trips through its data, and what a real
  hall writes reads back as the same payload.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from types import UnionType
from typing import Any

import pytest

from hall.core import events as ev
from hall.core.wire import Record
from hall.hubapi import messages, protocol
from hall.hubapi.validate import problems

SCHEMA = json.loads(
    (Path(protocol.__file__).parent / "schema" / "hall-bus.schema.json").read_text("utf-8")
)
DEFS = SCHEMA["$defs"]


def resolve(d: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in d:
        d = DEFS[d["$ref"].rsplit("/", 1)[-1]]
    return d


def json_types(tp: Any) -> set[str]:
    """The JSON types a Python annotation allows."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, UnionType):
        return set().union(*(json_types(a) for a in typing.get_args(tp)))
    if tp is type(None):
        return {"null"}
    if tp is bool:
        return {"boolean"}
    if tp is int:
        return {"integer"}
    if tp is float:
        return {"number", "integer"}
    if tp is str or (isinstance(tp, type) and issubclass(tp, str)):
        return {"string"}
    if origin in (list, tuple):
        return {"array"}
    if origin is dict:
        return {"object"}
    raise AssertionError(f"no JSON type for {tp!r}")


def schema_types(prop: dict[str, Any]) -> set[str] | None:
    prop = resolve(prop)
    if "enum" in prop:
        return {"string"} if all(isinstance(v, str) for v in prop["enum"]) else None
    t = prop.get("type")
    if t is None:
        return None
    return set(t) if isinstance(t, list) else {t}


def check_fields(
    cls: type,
    schema: dict[str, Any],
    optional: set[str],
    skip_types: set[str] = frozenset(),
    wire_fields: set[str] = frozenset(),
) -> None:
    schema = resolve(schema)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    props = {k: v for k, v in schema.get("properties", {}).items() if k not in wire_fields}
    assert set(fields) == set(props), f"{cls.__name__}: fields {set(fields) ^ set(props)}"
    assert set(schema.get("required", [])) == set(fields) - optional, cls.__name__
    for name, prop in props.items():
        allowed = schema_types(prop)
        if allowed is None or name in skip_types:
            continue
        ours = json_types(hints[name])
        if name in optional:
            ours -= {"null"}  # left out instead of null
            allowed = allowed - {"null"}
        if "number" in allowed:
            allowed |= {"integer"}
        assert ours <= allowed | ({"integer"} if "number" in ours else set()), (
            f"{cls.__name__}.{name}: {ours} vs schema {allowed}"
        )


def has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


# Where the wire carries something else than the core command: the hub turns it into what
# the core takes (check_in's token: the signed QR text, which the hub verifies into claims).
WIRE_ONLY = {("check_in", "token")}
# … and fields only on the wire (mark_arrived's token: the hub turns it into the ticket id)
WIRE_FIELDS = {("mark_arrived", "token")}


@pytest.mark.parametrize("name", sorted(protocol.COMMANDS))
def test_command_classes_match_their_args_schema(name: str) -> None:
    cls = protocol.COMMANDS[name]
    optional = {f.name for f in dataclasses.fields(cls) if has_default(f)}
    schema = DEFS[f"{name}_args"]
    if resolve(schema).get("properties") is None and "allOf" not in schema:
        schema = DEFS["counterOnly"]
    skip = {field for (cmd, field) in WIRE_ONLY if cmd == name}
    extra = {field for (cmd, field) in WIRE_FIELDS if cmd == name}
    check_fields(cls, schema, optional, skip_types=skip, wire_fields=extra)


@pytest.mark.parametrize("name", sorted(protocol.RESULTS))
def test_result_records_match_their_result_schema(name: str) -> None:
    cls = protocol.RESULTS[name]
    check_fields(cls, DEFS[f"{name}_result"], set(cls.OPTIONAL))


def test_every_command_has_a_result_and_a_schema() -> None:
    assert set(protocol.COMMANDS) == set(protocol.RESULTS)
    for name in protocol.COMMANDS:
        assert f"{name}_args" in DEFS and f"{name}_result" in DEFS, name


@pytest.mark.parametrize(
    ("cls", "schema"), [(messages.CallMessage, "call"), (messages.Presence, "presence")]
)
def test_bus_messages_match_their_schema(cls: type[Record], schema: str) -> None:
    check_fields(cls, DEFS[schema], set(cls.OPTIONAL))


def test_one_payload_class_per_event_type() -> None:
    assert len(ev.BY_TYPE) == len(ev.PAYLOADS)
    for cls in ev.PAYLOADS:
        assert cls.TYPE and cls.TYPE.count(".") == 1
        assert cls.__name__[0].isupper()


def test_payloads_round_trip_through_their_data(hall_events: list[ev.Event]) -> None:
    seen = set()
    for e in hall_events:
        data = json.loads(json.dumps(e.data))
        again = ev.payload_from(e.type, data)
        assert again == e.payload, e.type
        seen.add(e.type)
    assert {"ticket.issued", "ticket.called", "ticket.finished", "day.closed"} <= seen


def test_a_malformed_event_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="ticket_id"):
        ev.payload_from("ticket.printed", {"number": "A001"})
    with pytest.raises(ev.UnknownEvent):
        ev.payload_from("ticket.teleported", {})


def test_results_of_a_real_hall_are_valid(hall_results: list[tuple[str, dict[str, Any]]]) -> None:
    names = set()
    for name, result in hall_results:
        assert problems(f"{name}_result", result) == [], (name, result)
        assert protocol.RESULTS[name].from_dict(result).to_dict() == result
        names.add(name)
    assert {"issue", "sign_in", "call_next", "finish", "evaluate", "close_day"} <= names


@pytest.fixture(scope="module")
def hall_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], list[Any]]:
    """A morning of a real hall (store + hub on the in-process bus) driven by commands."""
    from appliance.local import LocalHall
    from hall.core import commands as c
    from hall.core.timekeeping import FixedClock
    from tests.conftest import at

    clock = FixedClock(at("09:30"))
    results: list[tuple[str, dict[str, Any]]] = []
    with LocalHall(tmp_path_factory.mktemp("hall"), clock=clock) as hall:
        _bus, client = hall.connect("tool-1", "tool")  # the technician may do everything

        def run(cmd: c.Command) -> Any:
            name, args = protocol.command_args(cmd)
            out = client.execute(name, args)
            results.append((name, out))
            clock.advance(30)
            return out

        run(c.SignIn("1", "1024"))
        run(c.SignIn("1", "1024"))  # already
        first = run(c.IssueTicket("SB-001", confirm_print=True))
        run(c.ConfirmPrinted(first["ticket_id"]))
        spare = run(c.IssueTicket("SB-001", confirm_print=True))
        run(c.VoidTicket(spare["ticket_id"]))
        run(c.IssueTicket("SB-001"))
        run(c.CallNext("1"))
        run(c.Recall("1"))
        run(c.Start("1"))
        run(c.Finish("1"))
        run(c.Evaluate("1", 5))
        run(c.CallNext("1"))
        run(c.Hold("1"))
        run(c.CallBack("1"))
        run(c.Transfer("1", to_service="SB-002"))
        run(c.Pause("1"))
        run(c.Resume("1"))
        run(c.ReportDevice("kiosk-1/printer", "printer", False, "paper_out"))
        run(c.CloseDay())
        events = hall.store.events_since(0)
    return events, results


@pytest.fixture
def hall_events(hall_run: tuple[list[Any], list[Any]]) -> list[ev.Event]:
    return list(hall_run[0])


@pytest.fixture
def hall_results(hall_run: tuple[list[Any], list[Any]]) -> list[tuple[str, dict[str, Any]]]:
    return list(hall_run[1])
