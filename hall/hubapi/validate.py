"""Checking hall bus messages against the published JSON Schemas.

Two well-kept libraries: fastjsonschema compiles each definition to a Python function
that accepts a valid message in a microsecond or two (the hub checks every request);
jsonschema, the reference implementation, explains what is wrong with one that fails.
The compiled check only ever lets through what jsonschema would accept: when it refuses,
jsonschema decides (a test compares the two on generated messages).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

SCHEMA_FILE = "hall-bus.schema.json"


@functools.cache
def schema() -> dict[str, Any]:
    text = (resources.files("hall.hubapi") / "schema" / SCHEMA_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def validator(definition: str) -> Draft202012Validator:
    defs = schema()["$defs"]
    if definition not in defs:
        raise KeyError(f"no schema definition {definition!r}")
    # References resolved once here: a request is checked in tens of microseconds, not a ms.
    return Draft202012Validator(_inline(defs[definition], defs))


@functools.cache
def fast_check(definition: str) -> Callable[[Any], Any]:
    """The definition compiled by fastjsonschema (draft-07: the schema uses nothing newer
    once its references are inlined); raises JsonSchemaException on a failure."""
    defs = schema()["$defs"]
    compiled: Callable[[Any], Any] = fastjsonschema.compile(
        {"$schema": "http://json-schema.org/draft-07/schema#", **_inline(defs[definition], defs)}
    )
    return compiled


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            target = _inline(defs[ref.removeprefix("#/$defs/")], defs)
            return {"allOf": [target, _inline(rest, defs)]} if rest else target
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def problems(definition: str, message: Any) -> list[str]:
    """What is wrong with `message` as a `definition`, in plain English; [] when valid.

    Paths and reasons only: a value is never echoed (it may carry personal data).
    """
    try:
        fast_check(definition)(message)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema decides, and says why
    out = []
    for err in sorted(validator(definition).iter_errors(message), key=lambda e: list(e.path)):
        where = "/".join(str(x) for x in err.absolute_path) or "(top)"
        out.append(f"{where}: {_reason(err)}")
    return out


def _reason(err: Any) -> str:
    kind = err.validator
    if kind == "required":
        return "a required field is missing"
    if kind == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown field(s) {', '.join(extra)}"
    if kind in ("type", "enum", "const", "pattern", "minimum", "maximum", "minLength", "maxLength"):
        return f"fails '{kind}' ({json.dumps(err.validator_value, ensure_ascii=False)[:60]})"
    return f"fails '{kind}'"


def check(definition: str, message: Any) -> None:
    """Raise ValueError listing the problems (for tests)."""
    found = problems(definition, message)
    if found:
        raise ValueError(f"not a valid {definition}: " + "; ".join(found))


def definition_for(topic: str) -> str | None:
    """The schema definition of the messages on `topic` (None: not a hall bus topic)."""
    from hall.hubapi import protocol as p

    fixed = {
        p.BOARD: "board",
        p.CATALOG: "catalog",
        p.ROLES: "roles",
        p.DEVICES: "devices",
        p.NEARBY: "nearby",
        p.CALL_EVENT: "call",
        p.PROGRESS_EVENT: "progress",
    }
    if topic in fixed:
        return fixed[topic]
    if topic.startswith(p.COUNTER_PREFIX):
        return "counterState"
    if topic.startswith(p.PRESENCE_PREFIX):
        return "presence"
    if topic.startswith(p.CMD_PREFIX):
        return "request"
    if topic.startswith("hall/v1/reply/"):
        return "reply"
    return None
