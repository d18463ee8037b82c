"""Hall → city: one method per kind of message the hall publishes on `{h}/up/...`, over the
city link. The event sender publishes its batches through `events`; the applier answers
through `request_sync`, `command_result` and `config_reported` (`sync.inbound.CityReplies`);
on every connect the link's owner calls `on_link_up`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from hall import __version__
from hall.mqttvalues import Ack
from sync import telemetry, wire
from sync.settings import InboundSettings

Outgoing = tuple[str, bytes, int, bool]  # topic, payload, qos, retain


class Publisher(Protocol):
    def publish(self, topic: str, data: bytes, *, qos: int = 1, retain: bool = False) -> bool: ...

    def send(
        self, topic: str, data: bytes, *, qos: int = 1, retain: bool = False
    ) -> Ack | None: ...


class Uplink:
    def __init__(
        self,
        link: Publisher,
        hall_id: str,
        settings: InboundSettings,
        *,
        now: Callable[[], str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.hall_id = hall_id
        self.s = settings
        self.now = now  # the hall's time as RFC 3339, for `at` and `since`
        self._clock = clock
        self.boot_id = uuid.uuid4().hex[:12]
        self._sync_sent: tuple[int, float] | None = None

    def topic(self, kind: str) -> str:
        return wire.up(self.hall_id, kind)

    def publish(self, kind: str, payload: dict[str, Any]) -> bool:
        """False when the link is down (nothing queued)."""
        _, qos, retain = wire.UP[kind]
        return self.link.publish(self.topic(kind), wire.encode(payload), qos=qos, retain=retain)

    def events(self, data: bytes) -> Ack | None:
        """An event batch; its PUBACK's `Ack` (None when the link is down)."""
        return self.link.send(self.topic("events"), data, qos=1)

    def offline(self) -> Outgoing:
        """The retained status a clean stop publishes last (the will says it on a crash)."""
        return (self.topic("status"), wire.encode(telemetry.STATUS_OFFLINE), 1, True)

    def on_link_up(self, cursor: int, config_report: str | None) -> None:
        """Connected: say so, repeat the last config report, ask for appointments after
        `cursor` (what the broker's session may have lost)."""
        self.publish("status", telemetry.status_online(__version__, self.boot_id, self.now()))
        if config_report:
            self.publish("config-reported", json.loads(config_report))
        self.request_sync(cursor, force=True)

    # --- the applier's replies (sync.inbound.CityReplies) ---------------------------------

    def request_sync(self, after: int, *, force: bool = False) -> None:
        """Ask for the appointment changes after `after`; the same question again only when
        the answer is `appointments_sync_timeout_s` late."""
        now = self._clock()
        last = self._sync_sent
        if (
            not force
            and last is not None
            and last[0] == after
            and now - last[1] < self.s.appointments_sync_timeout_s
        ):
            return
        if self.publish("appointments-sync", {"v": 1, "after": after}):
            self._sync_sent = (after, now)

    def command_result(self, result: dict[str, Any]) -> None:
        self.publish("command-result", result)

    def config_reported(self, report: dict[str, Any]) -> None:
        self.publish("config-reported", report)
