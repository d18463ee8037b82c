"""What the event sender (sync/sender.py) is given and keeps: the hall's log to read
batches from, sync's store for the city's mark and rejected events, the publish of one
batch, and a batch out and not yet answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hall.mqttvalues import Ack
from sync.outbox import Batch


class OutboxPort(Protocol):
    def max_seq(self) -> int: ...

    def batch(
        self, hall_id: str, first: int, last: int, *, max_events: int, max_bytes: int
    ) -> Batch | None: ...


class AckStore(Protocol):
    @property
    def acked(self) -> int: ...

    def set_acked(self, value: int) -> None: ...

    def add_rejected(self, items: list[dict[str, Any]]) -> int: ...


Publish = Callable[[bytes], "Ack | bool | None"]
"""Publish one batch: its PUBACK's `Ack`, or True (sent, no PUBACK to read); False or None
when not connected."""


@dataclass(slots=True)
class InFlight:
    first: int
    last: int
    sent_at: float
    backlog: bool
    puback: Ack | None = None
