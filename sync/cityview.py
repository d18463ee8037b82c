"""What the hall knows of the rest of the city: the directory of halls, the other halls' live
load and when the city last told it anything. From these comes the retained hall-bus topic
`hall/v1/state/nearby` the kiosk reads (`nearby`).

Other halls' load arrives often: it is kept in memory and saved to sync's SQLite every 30 s
and at stop (`save`), so a restart shows the last known loads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hall.core import navigation
from hall.core.timekeeping import rfc3339
from hall.hubapi import protocol as p
from sync import wire
from sync.settings import TelemetrySettings
from sync.state import SyncState

NEARBY = p.NEARBY
"""Retained on the hall bus: other halls, their services and load, for the kiosk."""


class CityView:
    def __init__(
        self,
        hall_id: str,
        state: SyncState,
        settings: TelemetrySettings,
        *,
        wall: Callable[[], float],
        tz: ZoneInfo,
    ) -> None:
        self.hall_id = hall_id
        self.state = state
        self.s = settings
        self._wall = wall
        self._tz = tz
        self._lock = threading.Lock()
        found = state.retained(wire.HALLS)
        self._loads = {
            t[len(wire.HALLS) :].split("/", 1)[0]: v
            for t, v in found.items()
            if t.endswith("/up/load")
        }
        self._unsaved: dict[str, dict[str, Any]] = {}
        self._city_at = state.retained_at()
        self.dirty = threading.Event()  # nearby must be published again
        self.dirty.set()

    def cloud_online(self) -> bool:
        """The last cloud status the city sent (kept across restarts)."""
        cloud = self.state.retained(wire.CLOUD_STATUS).get(wire.CLOUD_STATUS)
        return bool(cloud and cloud.get("online"))

    def hall_load(self, topic: str, hall_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._loads[hall_id] = payload
            self._unsaved[topic] = payload
        self.heard()

    def heard(self) -> None:
        """The city told something about the city (a load, the directory)."""
        self._city_at = self._wall()
        self.dirty.set()

    def save(self) -> None:
        with self._lock:
            items, self._unsaved = self._unsaved, {}
        if items:
            self.state.put_retained_many(items, self._wall())

    def nearby(self, online: bool) -> dict[str, Any]:
        with self._lock:
            loads = dict(self._loads)
        directory = self.state.retained(wire.DIRECTORY).get(wire.DIRECTORY)
        at = self._city_at
        return navigation.build_nearby(
            directory,
            loads,
            hall_id=self.hall_id,
            at=rfc3339(at, self._tz) if at is not None and directory else None,
            online=online,
            max_halls=self.s.nearby_max_halls,
            max_km=self.s.nearby_max_km,
        )
