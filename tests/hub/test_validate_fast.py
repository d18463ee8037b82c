"""The compiled check (fastjsonschema) never lets through what jsonschema refuses.

Messages shaped by each definition are drawn from the schema itself (`shaped`, for the
keywords the hall bus schema uses), then broken in one place (a value of another type, a
key removed or added), and both libraries judge them: whenever the compiled check
accepts, jsonschema must find nothing wrong.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall.hubapi.validate import fast_check, schema, validator
from hall.jsonschemas import inline as _inline

DEFS = sorted(schema()["$defs"])
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*here, i))
    return out


def shaped(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped like `node` (mostly valid; oneOf and formats may miss, which is fine)."""
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(part)
        return shaped({**merged, **{k: v for k, v in node.items() if k != "allOf"}})
    if "oneOf" in node:
        return st.one_of([shaped(x) for x in node["oneOf"]])
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([shaped({**node, "type": k}) for k in kind])
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: shaped(v) for k, v in props.items() if k in required},
            optional={k: shaped(v) for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(shaped(node.get("items", {})), max_size=3)
    if kind == "string":
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True)
        if node.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if node.get("format") == "date-time":
            return st.datetimes().map(lambda d: d.isoformat() + "+08:00")
        return st.text(min_size=node.get("minLength", 0), max_size=node.get("maxLength", 20))
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if kind == "number":
        return st.floats(node.get("minimum", -1e9), node.get("maximum", 1e9))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return JSON


@st.composite
def broken(draw: st.DrawFn, definition: str) -> Any:
    defs = schema()["$defs"]
    message = draw(shaped(_inline(defs[definition], defs)))
    paths = _paths(message)
    path = draw(st.sampled_from(paths))
    how = draw(st.sampled_from(["replace", "drop", "add"]))
    if not path:
        return draw(JSON) if how == "replace" else message
    parent = message
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = draw(JSON)
    elif how == "drop" and isinstance(parent, dict):
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=8))] = draw(JSON)
    return message


@pytest.mark.parametrize("definition", DEFS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_compiled_check_accepts_only_what_jsonschema_accepts(
    definition: str, data: st.DataObject
) -> None:
    message = data.draw(broken(definition))
    try:
        fast_check(definition)(message)
    except Exception:
        return  # refused: jsonschema then decides, whatever it says
    errors = [e.message for e in validator(definition).iter_errors(message)]
    assert not errors, (definition, errors)
