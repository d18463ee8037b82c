"""Payload encoding: JSON objects as UTF-8, with a size limit, refusing anything else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hall.bus.interface import JsonObject, PayloadError


class InvalidPayload(Exception):
    """An inbound payload was refused; `reason` names the stats counter to bump."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(payload: Mapping[str, Any], max_bytes: int) -> bytes:
    if not isinstance(payload, Mapping):
        raise PayloadError(f"payload must be a JSON object, not {type(payload).__name__}")
    try:
        data = json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"payload is not JSON-serialisable: {exc}") from None
    if len(data) > max_bytes:
        raise PayloadError(f"payload is {len(data)} bytes, over the {max_bytes}-byte limit")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def decode(data: bytes, max_bytes: int) -> JsonObject:
    """Decode an inbound payload or raise `InvalidPayload` (never echoing its content)."""
    if len(data) > max_bytes:
        raise InvalidPayload("dropped_oversized")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidPayload("dropped_invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidPayload("dropped_not_object")
    return value
