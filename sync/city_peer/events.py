"""The city's rules for events (contracts/city-cloud.md v1.1, "Events"), as the reference city
keeps them: in-order storage only.

- A batch that starts at or before `acked_through + 1` is stored from `acked_through + 1` on
  (what the city has already is acked again, never stored twice) and answered with the new
  `acked_through`.
- A batch that starts past `acked_through + 1` is not stored: it is answered with the current
  `acked_through`, from which the hall sends again (counted as `gap_batches`).
- The `h` chain is checked on every event stored: `h` must be the SHA-256 of the previous
  event's `h` and this event's canonical JSON (`hall.core.chain`). A break is stored as it
  came, counted (`chain_breaks`, also per hall), logged, and listed in the ack as rejected
  (`chain_break`): the hall's technician sees it. A hall that starts sending `h` after events
  without it starts the chain there (it cannot be checked before); one that stops is a break.
- An event stored but not accepted is listed as `rejected` (`unknown_service`, `bad_rating`,
  `personal_data`, `chain_break`); it never blocks the stream.
- A repeated seq whose `id` differs from the stored one is counted (`events_conflicting`): the
  hall's log changed under the city (a restored database), which the hall sees as `ack_ahead`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from _json import make_encoder  # json.encoder's C writer (c_make_encoder)
from dataclasses import dataclass
from typing import Any

from hall.core import chain
from sync.city_peer.store import CityStore

log = logging.getLogger(__name__)

PERSONAL_KEYS = frozenset({"id_number", "identity_number", "name", "full_name", "phone", "mobile"})
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_STR = json.encoder.encode_basestring  # a JSON string, non-ASCII as UTF-8 (the C writer's)
# `_CANONICAL.encode` builds the json module's C writer anew on every call (a third of its
# cost for an event's data): the same writer, with the same settings, made once.
_WRITER = make_encoder(
    None,  # no circularity markers: what json.loads made has no cycles
    _CANONICAL.default,
    _STR,
    None,  # indent
    ":",
    ",",
    True,  # sort_keys
    False,  # skipkeys
    True,  # allow_nan, as `_CANONICAL`
)
_KEYS = frozenset({"seq", "id", "type", "at", "data"})
_KEYS_H = _KEYS | {"h"}
CHAIN_BREAK = ("chain_break", "h does not follow from the previous event's h and this event")
NO_H = ("chain_break", "no h after events that carried it")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the city answers a batch with: `events-ack`."""

    acked_through: int
    rejected: tuple[tuple[int, str, str], ...] = ()

    def payload(self) -> dict[str, Any]:
        ack: dict[str, Any] = {"v": 1, "acked_through": self.acked_through}
        if self.rejected:
            ack["rejected"] = [{"seq": s, "code": k, "reason": why} for s, k, why in self.rejected]
        return ack


def canonical(value: Any) -> str:
    """`value` as `_CANONICAL.encode` writes it (sorted keys, no spaces, non-ASCII as UTF-8)."""
    if isinstance(value, str):  # the writer takes containers and numbers only
        return _STR(value)
    return "".join(_WRITER(value, 0))


def texts(event: dict[str, Any]) -> tuple[str, str]:
    """(the event's canonical JSON without `h`, its data as JSON): for the contract's event
    shape put together from the json module's C writer, one pass over the data."""
    data = canonical(event["data"])
    if event.keys() != _KEYS_H and event.keys() != _KEYS:  # compared, no set made
        return canonical({k: v for k, v in event.items() if k != "h"}), data
    body = (
        f'{{"at":{_STR(event["at"])},"data":{data},"id":{_STR(event["id"])},'
        f'"seq":{event["seq"]},"type":{_STR(event["type"])}}}'
    )
    return body, data


def follows(previous: str, event: dict[str, Any], body: str) -> bool:
    """True when `event["h"]` follows from `previous` and the event (`body`: `texts`); the
    exact canonical form (`hall.core.chain`, RFC 8785 numbers) when the quick one differs."""
    if hashlib.sha256((previous + body).encode("utf-8")).hexdigest() == event["h"]:
        return True
    return bool(chain.link(previous, event) == event["h"])


def problem(event: dict[str, Any], services: set[str] | None) -> tuple[str, str] | None:
    """Why the city would not accept a stored event, or None."""
    data = event["data"]
    if not PERSONAL_KEYS.isdisjoint(data):
        return "personal_data", "the event carries a field for personal data"
    kind = event["type"]
    if kind == "ticket.issued" and services is not None and data.get("service") not in services:
        return "unknown_service", f"service {data.get('service')!r} is not in the catalog"
    if kind == "evaluation.submitted":
        rating = data.get("rating")
        if rating is not None and (not isinstance(rating, int) or not 1 <= rating <= 5):
            return "bad_rating", "rating must be 1-5 or null"
    return None


def in_order(batch: dict[str, Any]) -> bool:
    """The batch's events are first_seq, first_seq + 1 … last_seq."""
    first = batch["first_seq"]
    seqs = [e["seq"] for e in batch["events"]]
    return seqs == list(range(first, first + len(seqs))) and seqs[-1] == batch["last_seq"]


def store_batch(c: sqlite3.Connection, hall: str, batch: dict[str, Any]) -> Answer:
    """Store what follows the hall's `acked_through` (inside the caller's transaction)."""
    CityStore.ensure_hall(c, hall)
    row = c.execute("SELECT acked_through, last_h FROM halls WHERE hall_id = ?", (hall,)).fetchone()
    acked, prev = int(row[0]), row[1]
    first, last = batch["first_seq"], batch["last_seq"]
    if first > acked + 1:
        CityStore.count("gap_batches", 1, c)
        c.execute("UPDATE halls SET gap_batches = gap_batches + 1 WHERE hall_id = ?", (hall,))
        return Answer(acked)
    events = batch["events"]
    new = [e for e in events if e["seq"] > acked]
    if len(new) < len(events):
        _repeats(c, hall, [e for e in events if e["seq"] <= acked])
    if new:
        prev = _store(c, hall, new, acked, prev)
        acked = new[-1]["seq"]
        c.execute(
            "UPDATE halls SET acked_through = ?, last_h = ? WHERE hall_id = ?", (acked, prev, hall)
        )
    rejected = c.execute(
        "SELECT seq, code, reason FROM rejected WHERE hall_id = ? AND seq BETWEEN ? AND ? "
        "ORDER BY seq",
        (hall, first, last),
    ).fetchall()
    return Answer(acked, tuple((int(s), str(k), str(w)) for s, k, w in rejected))


def _repeats(c: sqlite3.Connection, hall: str, events: list[dict[str, Any]]) -> None:
    CityStore.count("events_duplicate", len(events), c)
    stored = dict(
        c.execute(
            "SELECT seq, id FROM events WHERE hall_id = ? AND seq BETWEEN ? AND ?",
            (hall, events[0]["seq"], events[-1]["seq"]),
        ).fetchall()
    )
    conflicting = sum(1 for e in events if stored.get(e["seq"], e["id"]) != e["id"])
    if conflicting:
        CityStore.count("events_conflicting", conflicting, c)
        log.warning("city: %s sent %d event(s) it had sent before, changed", hall, conflicting)


def _store(
    c: sqlite3.Connection, hall: str, events: list[dict[str, Any]], acked: int, prev: str | None
) -> str | None:
    """Insert `events` (the next ones after `acked`); the `h` of the last one."""
    cat = c.execute("SELECT services FROM catalogs WHERE hall_id = ?", (hall,)).fetchone()
    services = {s["code"] for s in json.loads(cat[0])} if cat else None
    if prev is None and acked == 0:
        prev = chain.GENESIS
    now = time.time()
    rows: list[tuple[Any, ...]] = []
    rejected: list[tuple[Any, ...]] = []
    breaks = 0
    for e in events:
        why = problem(e, services)
        body, data = texts(e)
        h = e.get("h")
        if h is None:
            if prev is not None and acked + len(rows) > 0:
                breaks += 1
                why = why or NO_H
        elif prev is not None and not follows(prev, e, body):
            breaks += 1
            why = why or CHAIN_BREAK
        prev = h
        if why is not None and why[0] == "personal_data":
            data = '{"redacted":true}'
        rows.append((hall, e["seq"], e["id"], e["type"], e["at"], data, h, now))
        if why is not None:
            rejected.append((hall, e["seq"], *why))
        if e["type"] in ("appointment.checked_in", "appointment.no_show"):
            _settle(c, hall, e)
    c.executemany(
        "INSERT INTO events (hall_id, seq, id, type, at, data, h, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if rejected:
        c.executemany("INSERT OR IGNORE INTO rejected VALUES (?, ?, ?, ?)", rejected)
    CityStore.count("events_stored", len(rows), c)
    if breaks:
        CityStore.count("chain_breaks", breaks, c)
        c.execute(
            "UPDATE halls SET chain_breaks = chain_breaks + ? WHERE hall_id = ?", (breaks, hall)
        )
        log.warning("city: the h chain of %s breaks at %d event(s)", hall, breaks)
    return prev


def _settle(c: sqlite3.Connection, hall: str, e: dict[str, Any]) -> None:
    """A check-in or no-show reported by the hall settles the appointment (a check-in stands
    against a later cancellation)."""
    data = e["data"]
    aid = data.get("appointment_id")
    if not isinstance(aid, str):
        return
    if e["type"] == "appointment.checked_in":
        c.execute(
            "UPDATE appointments SET settled = 'checked_in', ticket = ? WHERE id = ? "
            "AND hall_id = ?",
            (data.get("number"), aid, hall),
        )
    else:
        c.execute(
            "UPDATE appointments SET settled = 'no_show' WHERE id = ? AND hall_id = ? "
            "AND settled IS NULL",
            (aid, hall),
        )
