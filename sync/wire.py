"""The city contract on the wire: topics, payload limits, JSON Schema checks. Pure functions.

Both sides use it: sync (the hall) and the city peer. Nothing here does IO; the links move
bytes and call `decode` / `problems` / `classify`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from hall.jsonschemas import SchemaDocument, where

ROOT: Final = "cityq/v1/"
HALLS: Final = ROOT + "halls/"
DIRECTORY: Final = ROOT + "directory"
CLOUD_STATUS: Final = ROOT + "cloud/status"
LOAD_PATTERN: Final = HALLS + "+/up/load"
MAX_PAYLOAD: Final = 256 * 1024
MAX_BATCH_EVENTS: Final = 500
HALL_ID: Final = re.compile(r"^\d{6}-[A-Z0-9]{1,12}$")

# up: hall → city; down: city → hall. Kind → (schema definition, QoS, retained).
UP: Final = {
    "status": ("status", 1, True),
    "events": ("eventBatch", 1, False),
    "appointments-sync": ("appointmentsSync", 1, False),
    "config-reported": ("configReported", 1, True),
    "load": ("load", 1, True),
    "health": ("health", 0, False),
    "command-result": ("commandResult", 1, False),
    "ticket-result": ("ticketResult", 1, False),
    "ticket-progress": ("ticketProgress", 1, False),
}
DOWN: Final = {
    "events-ack": ("eventsAck", 1, False),
    "appointments": ("appointmentsPage", 1, False),
    "catalog": ("catalog", 1, True),
    "config": ("config", 1, True),
    "command": ("command", 1, False),
    "ticket-request": ("ticketRequest", 1, False),
    "ticket-arrived": ("ticketArrived", 1, False),
    "watch": ("watch", 1, False),
}


def hall_prefix(hall_id: str) -> str:
    return f"{HALLS}{hall_id}"


def up(hall_id: str, kind: str) -> str:
    assert kind in UP, kind
    return f"{HALLS}{hall_id}/up/{kind}"


def down(hall_id: str, kind: str) -> str:
    assert kind in DOWN, kind
    return f"{HALLS}{hall_id}/down/{kind}"


def client_id(hall_id: str) -> str:
    return f"hall-{hall_id}"


def hall_subscriptions(hall_id: str) -> list[str]:
    """Everything a hall may read (and all it subscribes to)."""
    return [f"{HALLS}{hall_id}/down/#", DIRECTORY, CLOUD_STATUS, LOAD_PATTERN]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a topic points: `hall_id` and `direction` ('up'/'down') and `kind`, or a global
    topic (`kind` = 'directory' / 'cloud-status', hall_id '')."""

    hall_id: str
    direction: str
    kind: str


def route(topic: str) -> Route | None:
    """Parse a contract topic; None when it is not one."""
    if topic == DIRECTORY:
        return Route("", "down", "directory")
    if topic == CLOUD_STATUS:
        return Route("", "down", "cloud-status")
    if not topic.startswith(HALLS):
        return None
    parts = topic[len(HALLS) :].split("/")
    if len(parts) != 3 or parts[1] not in ("up", "down") or not HALL_ID.match(parts[0]):
        return None
    table = UP if parts[1] == "up" else DOWN
    if parts[2] not in table:
        return None
    return Route(parts[0], parts[1], parts[2])


def definition(r: Route) -> str:
    if r.kind == "directory":
        return "directory"
    if r.kind == "cloud-status":
        return "cloudStatus"
    table = UP if r.direction == "up" else DOWN
    return table[r.kind][0]


class Invalid(Exception):
    """An inbound message refused: `reason` is the counter name, `detail` plain English
    without any value from the message (it may carry personal data)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def decode(data: bytes, max_bytes: int = MAX_PAYLOAD) -> dict[str, Any]:
    if len(data) > max_bytes:
        raise Invalid("oversized", f"{len(data)} bytes, over {max_bytes}")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Invalid("invalid_json", "not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise Invalid("invalid_json", "not a JSON object")
    return value


def encode(payload: dict[str, Any], max_bytes: int = MAX_PAYLOAD) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    raw = data.encode("utf-8")
    if len(raw) > max_bytes:
        raise ValueError(f"payload is {len(raw)} bytes, over the {max_bytes}-byte limit")
    return raw


DOCUMENT = SchemaDocument("sync", "city-cloud.schema.json")


def schema() -> dict[str, Any]:
    return DOCUMENT.document


def validator(name: str) -> Any:
    return DOCUMENT.validator(name)


def fast_check(name: str) -> Any:
    """The definition compiled by fastjsonschema (hall/jsonschemas.py); raises
    `fastjsonschema.JsonSchemaException` on a failure."""
    return DOCUMENT.fast_check(name)


# Definitions first checked by jsonschema-rs (hall/jsonschemas.py): a 500-event batch in about
# 0.4 ms instead of 4 (the city's cost per event); a no goes to fastjsonschema and jsonschema.
RUST_CHECKED: Final = frozenset({"eventBatch"})


def problems(name: str, message: Any) -> list[str]:
    """What is wrong with `message` as `name`, paths and rule names only; [] when valid."""
    if name in RUST_CHECKED and DOCUMENT.rust_check(name)(message):
        return []
    return sorted(
        f"{where(err)}: fails '{err.validator}'" for err in DOCUMENT.errors(name, message)
    )


def check(name: str, message: Any) -> None:
    """Raise `Invalid('invalid', …)` when `message` is not a valid `name`."""
    found = problems(name, message)
    if found:
        raise Invalid("invalid", f"not a valid {name}: " + "; ".join(found[:5]))


def parse(topic: str, data: bytes, *, max_bytes: int = MAX_PAYLOAD) -> tuple[Route, dict[str, Any]]:
    """Route, size-check, decode and schema-check one inbound message, or raise `Invalid`."""
    r = route(topic)
    if r is None:
        raise Invalid("unknown_topic", "not a contract topic")
    payload = decode(data, max_bytes)
    check(definition(r), payload)
    return r, payload
