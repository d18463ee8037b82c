"""The hall bus's own messages as typed records (the JSON Schemas in
schema/hall-bus.schema.json describe the same; tests/hub/test_contract_types.py keeps the
two in step): the live call every display announces and a role's presence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hall.core.wire import Record


@dataclass(frozen=True, slots=True)
class CallMessage(Record):
    """`hall/v1/event/call`: a ticket called (or recalled) to a counter, live."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"masked_name"})
    number: str
    counter: str
    counter_name: str
    service: str
    recall: bool
    seq: int
    at: str  # RFC 3339, the hall's offset
    masked_name: str | None = None  # "张*", only where the hall turns [hub] masked_names on


@dataclass(frozen=True, slots=True)
class Presence(Record):
    """`hall/v1/presence/<client id>`: retained, "up" at connect, "lost" as the will."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"version", "host"})
    role: str
    status: str  # up, lost, down
    version: str | None = None
    host: str | None = None
