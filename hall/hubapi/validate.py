"""Checking hall bus messages against the published JSON Schemas.

Two well-kept libraries: fastjsonschema compiles each definition to a Python function
that accepts a valid message in a microsecond or two (the hub checks every request);
jsonschema, the reference implementation, explains what is wrong with one that fails.
The compiled check only ever lets through what jsonschema would accept: when it refuses,
jsonschema decides (a test compares the two on generated messages).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hall.jsonschemas import SchemaDocument, where

SCHEMA_FILE = "hall-bus.schema.json"
DOCUMENT = SchemaDocument("hall.hubapi", SCHEMA_FILE)


def schema() -> dict[str, Any]:
    return DOCUMENT.document


def validator(definition: str) -> Any:
    return DOCUMENT.validator(definition)


def fast_check(definition: str) -> Callable[[Any], Any]:
    """The definition compiled by fastjsonschema; raises JsonSchemaException on a failure."""
    return DOCUMENT.fast_check(definition)


def problems(definition: str, message: Any) -> list[str]:
    """What is wrong with `message` as a `definition`, in plain English; [] when valid.

    Paths and reasons only: a value is never echoed (it may carry personal data).
    """
    return [f"{where(err)}: {_reason(err)}" for err in DOCUMENT.errors(definition, message)]


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
