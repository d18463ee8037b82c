"""The tracked tickets' progress, live: what the hub tells sync to tell the city.

A ticket is tracked when it was taken remotely or a phone watches it. After each change of
the queue the hub's publisher asks :class:`ProgressPublisher` for the tracked tickets whose
progress (place, estimate) changed, and publishes them in one `ticket-progress` message;
nothing is computed while no ticket is tracked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from hall.bus.interface import Bus, BusError
from hall.core.timekeeping import rfc3339
from hall.core.views import ProgressEstimates
from hall.hubapi import protocol as p
from hall.store.store import HallStore

log = logging.getLogger(__name__)


class ProgressPublisher:
    def __init__(
        self, bus: Bus, store: HallStore, lock: threading.RLock, counts: Counter[str]
    ) -> None:
        self.bus = bus
        self.store = store
        self._lock = lock  # the hub's: the store is read between two commands
        self.counts = counts
        self._last: dict[str, dict[str, Any]] = {}  # tracked tickets as last published
        self._estimates = ProgressEstimates()  # tracked tickets' estimates, kept while valid
        self.cpu_s = 0.0  # spent computing progress (for the benches)

    def publish(self) -> None:
        """Publish the tracked tickets whose progress changed since the last time."""
        started = time.perf_counter()
        with self._lock:
            st = self.store.state
            if not any(t.tracked for t in st.tickets.values()):
                self._last.clear()
                self._estimates = ProgressEstimates()
                return
            now = self._estimates.views(st)
            at = rfc3339(st.last_ts, st.tz)
        changed = [v for tid, v in now.items() if self._last.get(tid) != v]
        self.cpu_s += time.perf_counter() - started
        if not changed:
            return
        try:
            self.bus.publish(p.PROGRESS_EVENT, {"at": at, "tickets": changed}, retain=False)
        except BusError as exc:
            log.warning("ticket progress not published: %s", exc)
            return
        self.counts["progress_updates"] += len(changed)
        self.counts["progress_messages"] += 1
        self._last = now
