"""The hall's event log as sync's outbox, read-only.

The hub is the one writer of the hall's database; sync reads it through the store's read
side (`hall.store.read.HallReader`, a `mode=ro` connection), which refuses a database of
another schema version than this software's. Batches are built from the stored JSON text
without parsing it, under the contract's limits (500 events, 256 KiB).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hall.store.db import StoreError
from hall.store.read import EventRow, HallReader
from hall.store.schema import SchemaError

log = logging.getLogger(__name__)
T = TypeVar("T")

_HEAD = '{"v":1,"hall_id":%s,"first_seq":%d,"last_seq":%d,"events":['
_TAIL = "]}"


class OutboxUnavailable(Exception):
    """The hall's database cannot be read right now (missing, locked, not a hall database,
    another schema version)."""


@dataclass(frozen=True, slots=True)
class Batch:
    first: int
    last: int
    count: int
    data: bytes  # the encoded `{h}/up/events` payload


def event_json(seq: int, eid: str, etype: str, at: str, data: str) -> str:
    return EventRow(seq, eid, etype, at, 0.0, data).wire_json()


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._reader: HallReader | None = None

    def _db(self) -> HallReader:
        if self._reader is None:
            try:
                self._reader = HallReader.open(self.path)
            except (StoreError, SchemaError) as exc:
                hint = " (is the hub set up?)" if not self.path.exists() else ""
                raise OutboxUnavailable(f"{exc}{hint}") from None
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _read(self, query: Callable[[HallReader], T]) -> T:
        try:
            return query(self._db())
        except sqlite3.Error as exc:
            self.close()
            raise OutboxUnavailable(f"{self.path}: {exc}") from None

    def max_seq(self) -> int:
        return self._read(lambda r: r.last_seq())

    def hall_id(self) -> str | None:
        return self._read(lambda r: r.hall_id())

    def events(self, first: int, last: int) -> list[dict[str, Any]]:
        """Events first..last as dicts (tests and tools; batches use `batch`)."""
        return [e.wire() for e in self._read(lambda r: r.events_between(first, last))]

    def batch(
        self, hall_id: str, first: int, last: int, *, max_events: int, max_bytes: int
    ) -> Batch | None:
        """The batch starting at `first`, up to `last`, within the limits; None when empty."""
        if last < first:
            return None
        limit = min(max_events, last - first + 1)
        rows = self._read(lambda r: r.events_between(first, last, limit))
        if not rows:
            return None
        hid = json.dumps(hall_id)
        parts: list[str] = []
        size = len((_HEAD % (hid, 0, 0)).encode()) + 40  # room for the two seq numbers
        end = rows[0].seq
        for e in rows:
            text = e.wire_json()
            n = len(text.encode("utf-8")) + 1
            if parts and size + n > max_bytes:
                break
            if size + n > max_bytes:  # one event alone over the limit: send a stub
                log.error("event %d is %d bytes, over the batch limit: sending a stub", e.seq, n)
                text = e.wire_json(json.dumps({"oversized": n}))
                n = len(text.encode("utf-8")) + 1
            parts.append(text)
            size += n
            end = e.seq
        start = rows[0].seq
        body = (_HEAD % (hid, start, end)) + ",".join(parts) + _TAIL
        return Batch(start, end, len(parts), body.encode("utf-8"))

    def devices(self) -> list[dict[str, Any]]:
        try:
            rows = self._read(lambda r: r.devices())
        except OutboxUnavailable:
            return []
        return [
            {"device": d.device, "kind": d.kind, "ok": d.ok, "state": d.state, "at": d.at}
            for d in rows
        ]
