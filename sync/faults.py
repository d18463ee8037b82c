"""What is wrong with the city link that a person must look at, kept in sync's SQLite so that
`hall sync status`, `hall doctor` and health show it, and reported to the hub as a device
(`report_device`: a `device.fault` / `device.recovered` event in the hall's log).

- `ack_ahead`: the city acked past the last event the hall sent (contract v1.1), or sync's
  mark is past the hall's log (a restored database). Cleared only by a person
  (`hall sync clear ack_ahead`).
- `not_authorized`: the city broker refused our events (a PUBACK reason code, MQTT 5).
  Cleared when a later batch is accepted.
- `certificate_cn`: the client certificate's CN is not this hall's id (checked at start).
  Cleared by a start with the right certificate.

Each fault is a device of the sync role on the hall bus: `<sync id>/city-acks` (ack_ahead) and
`<sync id>/city-access` (not_authorized, certificate_cn), kind `city_link`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hall.hubapi.client import CommandRefused, HubUnreachable
from sync.state import FaultRow, SyncState

log = logging.getLogger(__name__)

ACK_AHEAD = "ack_ahead"
NOT_AUTHORIZED = "not_authorized"
CERTIFICATE_CN = "certificate_cn"
KIND = "city_link"

# device suffix -> the faults it reports, most telling first
DEVICES: dict[str, tuple[str, ...]] = {
    "city-acks": (ACK_AHEAD,),
    "city-access": (CERTIFICATE_CN, NOT_AUTHORIZED),
}
FIX = {
    ACK_AHEAD: "the city acked events this hall never sent (a bug at the city, or a hall "
    "database restored from an older copy): ask the city to compare, then "
    "`hall sync clear ack_ahead`",
    NOT_AUTHORIZED: "the city broker refuses this hall's messages: check that the certificate "
    "is this hall's (`hall doctor`), or ask the city to check its ACL",
    CERTIFICATE_CN: "the client certificate names another hall: install this hall's bundle "
    "(`hall provision BUNDLE`) and restart `hall-sync`",
}
RETRY_S = 5.0


class HubPort(Protocol):
    def execute(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class DeviceState:
    device: str
    ok: bool
    state: str
    detail: str

    def args(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": KIND,
            "ok": self.ok,
            "state": self.state,
            "detail": self.detail[:200],
        }


class Faults:
    """Thread-safe: the sender raises and clears on its thread, the reporter reads on the
    ticker's."""

    def __init__(self, state: SyncState, *, wall: Callable[[], float] = time.time) -> None:
        self.state = state
        self._wall = wall
        self._lock = threading.Lock()
        self.changed = threading.Event()

    def raise_(self, name: str, detail: str) -> None:
        """Set a fault (counted every time; logged when it is new)."""
        with self._lock:
            new = self.state.raise_fault(name, detail[:300], self._wall())
        if new:
            log.warning("city link fault %s: %s", name, detail)
        self.changed.set()

    def clear(self, name: str) -> None:
        with self._lock:
            if self.state.clear_fault(name):
                log.info("city link fault %s cleared", name)
        self.changed.set()

    def active(self) -> dict[str, FaultRow]:
        return {f.name: f for f in self.state.faults() if f.active}

    def all(self) -> list[FaultRow]:
        return self.state.faults()

    def summary(self) -> list[dict[str, Any]]:
        """For health and status: the active faults, without personal data."""
        return [
            {"fault": f.name, "detail": f.detail, "count": f.count}
            for f in self.state.faults()
            if f.active
        ]

    def devices(self, device_prefix: str) -> list[DeviceState]:
        active = self.active()
        out = []
        for suffix, names in DEVICES.items():
            on = [active[n] for n in names if n in active]
            device = f"{device_prefix}/{suffix}"
            if on:
                out.append(DeviceState(device, False, on[0].name, on[0].detail))
            else:
                out.append(DeviceState(device, True, "ok", ""))
        return out


class FaultReporter:
    """Tells the hub (`report_device`) when a city-link device changes state. A device that
    was never at fault is not reported healthy (no news); one whose fault was reported is
    reported recovered. What was last reported is kept in sync's SQLite, so a restart
    neither repeats nor forgets it; an unreachable hub is asked again every few seconds."""

    def __init__(self, faults: Faults, hub: HubPort, device_prefix: str, timeout: float) -> None:
        self.faults = faults
        self.hub = hub
        self.prefix = device_prefix
        self.timeout = timeout
        self._next_try = 0.0

    def tick(self, now: float) -> None:
        if not self.faults.changed.is_set() and now < self._next_try:
            return
        self.faults.changed.clear()
        self._next_try = now + 60.0
        for d in self.faults.devices(self.prefix):
            last = self.faults.state.get(f"reported:{d.device}")
            if last == d.state or (last is None and d.ok):
                continue
            try:
                self.hub.execute("report_device", d.args(), timeout=self.timeout)
            except HubUnreachable:
                self._next_try = now + RETRY_S
                continue
            except CommandRefused as exc:
                log.warning("the hub refused the report of %s: %s", d.device, exc.code)
            self.faults.state.set(f"reported:{d.device}", d.state)
