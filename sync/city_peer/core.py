"""The city's side of the contract, as a reference for tests and demos (not a production cloud).

- events: stored in seq order only, their `h` chain checked (`sync.city_peer.events`): every
  batch is answered (again if the city had it already; with the current `acked_through`,
  storing nothing, if it starts past it); an event stored but not accepted is listed as
  `rejected`;
- appointments: every change gets the hall's next cursor; pushes carry one change,
  `appointments-sync` is answered in pages of at most 500 (each with `after`, the cursor it
  follows); book / reschedule / cancel on command; check-ins and no-shows reported by the
  hall settle the appointment (a check-in stands against a later cancellation);
- catalog, config, directory and cloud status published retained.
`publish(topic, payload, retain)` is the only way out; `handle(topic, data)` the only way in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from sync import wire
from sync.city_peer import events
from sync.city_peer.store import CityStore

log = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any], bool], None]
PAGE = 500


def id_hash(identity_number: str, key: bytes) -> str:
    """The contract's keyed hash of an identity number (HMAC-SHA256 of the upper-case id)."""
    return hmac.new(key, identity_number.strip().upper().encode(), hashlib.sha256).hexdigest()


class CityCore:
    def __init__(self, store: CityStore, publish: Publish, *, seed: int | None = None) -> None:
        self.store = store
        self.publish = publish
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self.lose_batches = 0  # tests: this many event batches are lost on the way in

    # --- inbound ----------------------------------------------------------------------

    def handle(
        self, topic: str, data: bytes, retained: bool = False, *, park: bool = False
    ) -> bool:
        """One message from a hall; invalid ones are counted and dropped (never raise).
        With `park`, an event batch that starts past the hall's `acked_through + 1` is left
        alone (False: nothing stored, nothing answered): the caller holds it a moment and
        offers it again, since with shared subscriptions the batch before it may be in
        another consumer's hands right now. True: handled."""
        try:
            r, payload = wire.parse(topic, data)
        except wire.Invalid as exc:
            self.store.bump(f"refused_{exc.reason}")
            log.warning("city: refused a message on %s: %s", topic[-40:], exc.reason)
            return True
        if r.direction != "up" or not r.hall_id:
            self.store.bump("refused_unexpected")
            return True
        hall = r.hall_id
        if r.kind == "events":
            if payload["hall_id"] != hall:
                self.store.bump("refused_foreign_hall")
                log.warning("city: a batch for %s arrived on %s's topic", payload["hall_id"], hall)
                return True
            return self._events(hall, payload, park)
        elif r.kind == "appointments-sync":
            self.serve_sync(hall, int(payload["after"]))
        elif r.kind == "command-result":
            with self.store.tx() as c:
                c.execute(
                    "INSERT INTO results (hall_id, payload, at) VALUES (?, ?, ?)",
                    (hall, json.dumps(payload, ensure_ascii=False), time.time()),
                )
        else:
            column = {
                "status": "status",
                "config-reported": "config_reported",
                "load": "load",
                "health": "health",
            }[r.kind]
            self.store.set_report(hall, column, payload)
        return True

    def _events(self, hall: str, batch: dict[str, Any], park: bool) -> bool:
        """Store in order, answer. The hall's stored `acked_through`, read and moved inside
        one `BEGIN IMMEDIATE` transaction, is the single truth: consumers in several
        processes on the same database (shared subscriptions) take turns on it, so two of
        them can never both store a batch, nor store one past a gap."""
        if self.lose_batches > 0:  # a fault for tests: lost between the broker and the city
            self.lose_batches -= 1
            self.store.bump("batches_lost")
            return True
        if not events.in_order(batch):
            self.store.bump("refused_bad_batch")
            log.warning("city: a batch from %s is not in seq order", hall)
            return True
        with self._lock, self.store.tx() as c:
            if park and batch["first_seq"] > self.store.acked_in(c, hall) + 1:
                return False
            answer = events.store_batch(c, hall, batch)
        self.publish(wire.down(hall, "events-ack"), answer.payload(), False)
        return True

    # --- appointments -----------------------------------------------------------------

    def serve_sync(self, hall: str, after: int) -> int:
        """Answer `appointments-sync`: every change after `after`, in pages. Returns pages."""
        pages = 0
        while True:
            rows = self.store.query(
                "SELECT cursor, change FROM changes WHERE hall_id = ? AND cursor > ? "
                "ORDER BY cursor LIMIT ?",
                (hall, after, PAGE),
            )
            if not rows:
                return pages
            changes = [json.loads(r[1]) for r in rows]
            page = {"v": 1, "cursor": rows[-1][0], "after": after, "changes": changes}
            self.publish(wire.down(hall, "appointments"), page, False)
            pages += 1
            after = rows[-1][0]

    def _change(self, hall: str, change: dict[str, Any]) -> dict[str, Any]:
        with self._lock, self.store.tx() as c:
            CityStore.ensure_hall(c, hall)
            cursor = (
                int(c.execute("SELECT cursor FROM halls WHERE hall_id = ?", (hall,)).fetchone()[0])
                + 1
            )
            text = json.dumps(change, ensure_ascii=False)
            c.execute("UPDATE halls SET cursor = ? WHERE hall_id = ?", (cursor, hall))
            c.execute("INSERT INTO changes VALUES (?, ?, ?)", (hall, cursor, text))
            c.execute(
                "INSERT INTO appointments (id, hall_id, version, status, change) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
                "status = excluded.status, change = excluded.change",
                (change["id"], hall, change["version"], change["status"], text),
            )
        page = {"v": 1, "cursor": cursor, "after": cursor - 1, "changes": [change]}
        self.publish(wire.down(hall, "appointments"), page, False)
        return change

    def book(
        self,
        hall: str,
        service: str,
        date: str,
        slot_start: str,
        slot_end: str,
        *,
        citizen: dict[str, str] | None = None,
        priority: str = "normal",
        channel: str = "web",
    ) -> dict[str, Any]:
        with self._lock:
            n = int(self.store.query("SELECT COUNT(*) FROM appointments")[0][0]) + 1
            code = f"{self._rng.randrange(10**6):06d}"
        change: dict[str, Any] = {
            "id": f"AP{date.replace('-', '')}{n:06d}",
            "version": 1,
            "status": "booked",
            "service": service,
            "date": date,
            "slot_start": slot_start,
            "slot_end": slot_end,
            "code": code,
            "priority": priority,
            "channel": channel,
        }
        if citizen:
            change["citizen"] = dict(citizen)
        return self._change(hall, change)

    def _next_version(self, appt_id: str, **updates: Any) -> dict[str, Any]:
        a = self.store.appointment(appt_id)
        if a is None:
            raise KeyError(f"no appointment {appt_id}")
        change = {**a["change"], **updates, "version": a["version"] + 1}
        return self._change(a["hall_id"], change)

    def reschedule(
        self, appt_id: str, *, date: str | None = None, slot_start: str, slot_end: str
    ) -> dict[str, Any]:
        a = self.store.appointment(appt_id)
        if a is None:
            raise KeyError(f"no appointment {appt_id}")
        return self._next_version(
            appt_id,
            status="rescheduled",
            date=date or a["change"]["date"],
            slot_start=slot_start,
            slot_end=slot_end,
        )

    def cancel(self, appt_id: str) -> dict[str, Any]:
        return self._next_version(appt_id, status="cancelled")

    # --- retained publications --------------------------------------------------------

    def publish_catalog(self, hall: str, catalog: dict[str, Any]) -> None:
        with self.store.tx() as c:
            c.execute(
                "INSERT OR REPLACE INTO catalogs VALUES (?, ?, ?)",
                (hall, catalog["version"], json.dumps(catalog["services"], ensure_ascii=False)),
            )
        self.publish(wire.down(hall, "catalog"), {"v": 1, **catalog}, True)

    def publish_config(self, hall: str, version: int, settings: dict[str, Any]) -> None:
        self.publish(
            wire.down(hall, "config"), {"v": 1, "version": version, "settings": settings}, True
        )

    def publish_directory(self, directory: dict[str, Any]) -> None:
        self.publish(wire.DIRECTORY, {**directory, "v": 1}, True)

    def set_cloud_online(self, online: bool) -> None:
        self.publish(wire.CLOUD_STATUS, {"v": 1, "online": online}, True)

    def resend(self, hall: str, from_seq: int, command_id: str = "") -> None:
        cmd: dict[str, Any] = {"v": 1, "command": "resend_events", "from_seq": from_seq}
        if command_id:
            cmd["id"] = command_id
        self.publish(wire.down(hall, "command"), cmd, False)

    def command(self, hall: str, payload: dict[str, Any]) -> None:
        self.publish(wire.down(hall, "command"), {"v": 1, **payload}, False)
