"""What the hall tells about itself, on a ticker thread (every 0.25 s):
- to the city: the live load (on change, at most every `load_min_interval_s`) and health
  (on change, and every `health_interval_s`), while the link is up;
- to its own kiosks: `hall/v1/state/nearby` on the hall bus (when something changed, at
  most every 2 s);
- to the hub: the city link's faults as devices (`sync.faults.FaultReporter`), on change;
- housekeeping: other halls' load saved every 30 s, the inbox pruned hourly.
Its last round is the systemd watchdog's sign of life (`alive`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from hall.bus.interface import Bus, BusError
from hall.hubapi import protocol as p
from hall.hubapi.client import StateCache
from sync import telemetry
from sync.cityview import NEARBY, CityView
from sync.faults import FaultReporter, Faults
from sync.outbox import Outbox, OutboxUnavailable
from sync.sender import EventSender
from sync.settings import TelemetrySettings
from sync.state import SyncState
from sync.uplink import Uplink

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
SAVE_EVERY_S = 30.0
NEARBY_EVERY_S = 2.0


class LinkState(Protocol):
    @property
    def connected(self) -> bool: ...


class TelemetryLoop:
    name = "sync-ticker"

    def __init__(
        self,
        settings: TelemetrySettings,
        stop: threading.Event,
        *,
        link: LinkState,
        uplink: Uplink,
        bus: Bus,
        cache: StateCache,
        outbox: Outbox,
        state: SyncState,
        sender: EventSender,
        view: CityView,
        cursor: Callable[[], int],
        faults: Faults,
        reporter: FaultReporter,
    ) -> None:
        self.s = settings
        self._stop = stop
        self.link = link
        self.uplink = uplink
        self.bus = bus
        self.cache = cache
        self.outbox = outbox
        self.state = state
        self.sender = sender
        self.view = view
        self.cursor = cursor
        self.faults = faults
        self.reporter = reporter
        self.ticked = time.monotonic()  # the last round (watchdog)
        self._load = telemetry.Throttle(settings.load_min_interval_s)
        self._health_sig: Any = None
        self._health_at = 0.0
        self._nearby_at = 0.0

    def alive(self, max_age: float = 30.0) -> bool:
        """For the systemd watchdog: the loop went round within `max_age` s."""
        return time.monotonic() - self.ticked < max_age

    def on_link_up(self) -> None:
        """Load and health again after a reconnect, even when unchanged."""
        self._load.reset()
        self._health_sig = None
        self.view.dirty.set()

    def run(self) -> None:
        last_prune = last_save = time.monotonic()
        while not self._stop.wait(0.25):
            now = self.ticked = time.monotonic()
            try:
                self._tick_load(now)
                self._tick_health(now)
                self._tick_nearby(now)
                self.reporter.tick(now)
                if now - last_prune > PRUNE_EVERY_S:
                    last_prune = now
                    self.state.prune_inbox()
                if now - last_save > SAVE_EVERY_S:
                    last_save = now
                    self.view.save()
            except (BusError, OutboxUnavailable, OSError) as exc:
                log.warning("sync housekeeping: %s", exc)
            except Exception:
                log.exception("sync housekeeping failed; going on")

    def health_payload(self) -> dict[str, Any]:
        snap = self.sender.snapshot()
        return telemetry.health(
            self.uplink.now(),
            devices=self.outbox.devices(),
            roles=self.cache.get(p.ROLES),
            hub_link=self.bus.is_connected,
            sync={
                "backlog": self.sender.backlog(),
                "acked_through": snap["acked"],
                "rejected": len(self.state.rejected()),
                "inbox": self.state.pending_inbox(),
                "appointments_cursor": self.cursor(),
                "faults": self.faults.summary(),
            },
        )

    def nearby_payload(self) -> dict[str, Any]:
        return self.view.nearby(self.link.connected and self.sender.cloud_online)

    def _tick_load(self, now: float) -> None:
        value = telemetry.load_from_board(self.cache.board)
        if not self.link.connected or not self._load.due(value, now):
            return
        assert value is not None
        if self.uplink.publish("load", {"v": 1, "at": self.uplink.now(), **value}):
            self._load.sent(value, now)

    def _tick_health(self, now: float) -> None:
        if not self.link.connected:
            return
        payload = self.health_payload()
        sig = telemetry.health_signature(payload)
        if sig != self._health_sig or now - self._health_at >= self.s.health_interval_s:
            self._health_sig = sig
            self._health_at = now
            self.uplink.publish("health", payload)

    def _tick_nearby(self, now: float) -> None:
        if not self.view.dirty.is_set() or not self.bus.is_connected:
            return
        if now - self._nearby_at < NEARBY_EVERY_S:
            return
        self._nearby_at = now
        self.view.dirty.clear()
        try:
            self.bus.publish(NEARBY, self.nearby_payload(), retain=True)
        except BusError:
            self.view.dirty.set()
            raise
