"""City → hall, on the city link's network thread: each message checked against the contract,
then stored or acted on. Returning means the link may acknowledge it (PUBACK); what the hub
must apply is only stored here (sync's SQLite inbox) and applied by `sync.inbound`.

A message that is not valid, is for another hall or comes on an up topic is refused: counted,
kept in the refused list (reason, never the values) and logged; the stream goes on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from sync import wire
from sync.cityview import CityView
from sync.inbound import digest
from sync.state import SyncState

log = logging.getLogger(__name__)

INBOX_KINDS = (
    "appointments",
    "catalog",
    "config",
    "command",
    "ticket-request",
    "ticket-arrived",
    "watch",
)


class AckReceiver(Protocol):
    """The event sender, as the city's answers reach it."""

    def on_ack(self, acked_through: int, rejected: list[dict[str, Any]] | None = None) -> None: ...

    def on_cloud_status(self, online: bool) -> None: ...


class CityMessages:
    def __init__(
        self,
        hall_id: str,
        state: SyncState,
        sender: AckReceiver,
        view: CityView,
        inbox_wake: threading.Event,
    ) -> None:
        self.hall_id = hall_id
        self.state = state
        self.sender = sender
        self.view = view
        self.inbox_wake = inbox_wake

    def on_message(self, topic: str, data: bytes, retained: bool) -> None:
        """Store (or act on) one city message; returning means it may be acknowledged."""
        try:
            r, payload = wire.parse(topic, data)
        except wire.Invalid as exc:
            if data or not retained:  # an empty retained message only clears a topic
                self._refuse(topic, exc.reason, exc.detail)
            return
        try:
            self._dispatch(topic, r, payload)
        except (KeyError, TypeError, ValueError) as exc:  # valid by schema, still unusable
            self._refuse(topic, "invalid", type(exc).__name__)

    def _refuse(self, topic: str, reason: str, detail: str) -> None:
        kind = topic.rsplit("/", 1)[-1][:40]
        self.state.refuse(kind, reason, detail)
        log.warning("refused a city message on …/%s: %s %s", kind, reason, detail)

    def _dispatch(self, topic: str, r: wire.Route, payload: dict[str, Any]) -> None:
        if r.kind == "load" and r.direction == "up":
            if r.hall_id != self.hall_id:
                self.view.hall_load(topic, r.hall_id, payload)
            return
        if r.hall_id and r.hall_id != self.hall_id:
            self._refuse(topic, "foreign_hall", "a message for another hall")
            return
        if r.direction == "up":
            self._refuse(topic, "unexpected", "an up topic delivered to the hall")
            return
        if r.kind == "events-ack":
            self.sender.on_ack(int(payload["acked_through"]), payload.get("rejected"))
        elif r.kind in ("directory", "cloud-status"):
            self.state.put_retained(topic, payload)
            if r.kind == "cloud-status":
                self.sender.on_cloud_status(bool(payload["online"]))
                self.view.dirty.set()
            else:
                self.view.heard()
        elif r.kind in ("catalog", "config"):
            seen = f"{payload['version']}/{digest(payload)}"
            if self.state.get(f"seen_{r.kind}") != seen:
                self.state.put_inbox(r.kind, payload, **{f"seen_{r.kind}": seen})
                self.inbox_wake.set()
        elif r.kind in INBOX_KINDS:
            self.state.put_inbox(r.kind, payload)
            self.inbox_wake.set()
