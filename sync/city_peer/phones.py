"""The city's side of 云叫号 (contract v1.1 "Remote tickets and ticket progress"), for tests
and the demo: the mini-program's requests, the geofence's arrivals and the QR scans' watches
go down to a hall; its `ticket-result` and `ticket-progress` are recorded as they came
(duplicates included, so a test can count them), with the city's time of receipt.

    phones = peer.phones
    rid = phones.request(HALL_ID, "SB-001", citizen={"id_hash": h, "phone_tail": "5678"})
    phones.wait_result(rid, 10)        # {"v":1,"request_id":…,"ok":true,"ticket_id":…}
    phones.arrived(HALL_ID, ticket_id) # the phone entered the hall
    phones.progress(ticket_id)         # every ticket-progress received, in order

Its tables live in the peer's SQLite beside the others (created here, `IF NOT EXISTS`).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hall.core.timekeeping import rfc3339
from sync import wire
from sync.city_peer.store import CityStore

log = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any], bool], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS phone_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hall_id TEXT NOT NULL, request_id TEXT NOT NULL,
    payload TEXT NOT NULL, received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS phone_results_rid ON phone_results(request_id);
CREATE TABLE IF NOT EXISTS phone_progress (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hall_id TEXT NOT NULL, ticket_id TEXT NOT NULL,
    payload TEXT NOT NULL, received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS phone_progress_tid ON phone_progress(ticket_id);
"""

UP_KINDS = ("ticket-result", "ticket-progress")
DEFAULT_TTL_S = 300.0
CHINA = ZoneInfo("Asia/Shanghai")


class CityPhones:
    def __init__(
        self,
        store: CityStore,
        publish: Publish,
        *,
        wall: Callable[[], float] = time.time,
        tz: ZoneInfo = CHINA,
    ) -> None:
        self.store = store
        self.publish = publish
        self.wall = wall  # the city's clock: `requested_at`, `expires`, `at`
        self.tz = tz
        self._n = itertools.count(1)
        with store.tx() as c:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    c.execute(statement)

    def _now(self, at: float | None = None) -> str:
        return rfc3339(self.wall() if at is None else at, self.tz)

    # --- down: what the phones ask ----------------------------------------------------

    def request(
        self,
        hall: str,
        service: str,
        *,
        request_id: str | None = None,
        citizen: dict[str, str] | None = None,
        priority: str = "normal",
        channel: str = "mini_program",
        ttl_s: float = DEFAULT_TTL_S,
    ) -> str:
        """A citizen takes a number from a phone; the request's id."""
        rid = request_id or f"RT{int(self.wall())}{next(self._n):06d}"
        now = self.wall()
        payload: dict[str, Any] = {
            "v": 1,
            "request_id": rid,
            "service": service,
            "priority": priority,
            "channel": channel,
            "requested_at": self._now(now),
            "expires": self._now(now + ttl_s),
        }
        if citizen:
            payload["citizen"] = dict(citizen)
        self.send(hall, "ticket-request", payload)
        return rid

    def arrived(self, hall: str, ticket_id: str) -> None:
        """The phone is inside the hall (the city's geofence)."""
        payload = {"v": 1, "ticket_id": ticket_id, "how": "geofence", "at": self._now()}
        self.send(hall, "ticket-arrived", payload)

    def watch(self, hall: str, ticket_id: str) -> None:
        """A citizen scanned a paper ticket's QR: the city follows it."""
        self.send(hall, "watch", {"v": 1, "ticket_id": ticket_id, "at": self._now()})

    def send(self, hall: str, kind: str, payload: dict[str, Any]) -> None:
        """Any down message of these kinds, as given (tests send the contract's examples)."""
        self.publish(wire.down(hall, kind), payload, False)

    # --- up: what the hall answers ----------------------------------------------------

    @staticmethod
    def owns(topic: str) -> bool:
        return topic.rsplit("/", 1)[-1] in UP_KINDS and "/up/" in topic

    def handle(self, topic: str, data: bytes, retained: bool = False) -> None:
        """One `ticket-result` or `ticket-progress`; an invalid one is counted and dropped."""
        try:
            r, payload = wire.parse(topic, data)
        except wire.Invalid as exc:
            self.store.bump(f"refused_{exc.reason}")
            log.warning("city: refused a message on %s: %s", topic[-40:], exc.reason)
            return
        if r.direction != "up" or not r.hall_id:
            self.store.bump("refused_unexpected")
            return
        received = time.time()
        with self.store.tx() as c:
            if r.kind == "ticket-result":
                c.execute(
                    "INSERT INTO phone_results (hall_id, request_id, payload, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    (r.hall_id, payload["request_id"], _text(payload), received),
                )
            else:
                c.execute(
                    "INSERT INTO phone_progress (hall_id, ticket_id, payload, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    (r.hall_id, payload["ticket_id"], _text(payload), received),
                )

    # --- what the city has ------------------------------------------------------------

    def results(self, request_id: str) -> list[dict[str, Any]]:
        """Every `ticket-result` received for a request, in order (duplicates included)."""
        rows = self.store.query(
            "SELECT payload FROM phone_results WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [json.loads(r[0]) for r in rows]

    def result(self, request_id: str) -> dict[str, Any] | None:
        found = self.results(request_id)
        return found[0] if found else None

    def wait_result(self, request_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while (got := self.result(request_id)) is None and time.monotonic() < end:
            time.sleep(0.02)
        return got

    def progress(self, ticket_id: str | None = None) -> list[dict[str, Any]]:
        """Every `ticket-progress` received (of one ticket, or all), in order."""
        if ticket_id is None:
            rows = self.store.query("SELECT payload FROM phone_progress ORDER BY id")
        else:
            rows = self.store.query(
                "SELECT payload FROM phone_progress WHERE ticket_id = ? ORDER BY id", (ticket_id,)
            )
        return [json.loads(r[0]) for r in rows]

    def all_results(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.store.query("SELECT payload FROM phone_results")]


def _text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
