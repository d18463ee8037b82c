"""City → hall: the stored inbound messages applied one at a time, in arrival order.

A message is in sync's SQLite before the broker is told it arrived; this applier takes
them from there, so a crash at any moment applies each one later, and the hub's idempotency
keys (derived from the city message) make a replay act once.

- appointments: each change through the hub's `apply_appointment` (which applies by
  version and never undoes a check-in); the cursor moves only over contiguous pages; a skip
  asks the city for `appointments-sync` from the last applied cursor.
- catalog: the hub's `apply_catalog` (higher version, whole, or refused and kept as is).
- config: `cityconfig.apply_city_config`, then `config-reported`.
- command: `resend_events`; anything else is answered refused on `command-result`.
- 云叫号's ticket-request, ticket-arrived and watch: `sync.phones.PhoneDesk` (`extra`).

What the applier says back to the city goes through `CityReplies` (`sync.uplink.Uplink`);
a resend asks the event sender (`Resender`) to rewind. `ApplierLoop` runs it on a thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from hall.hubapi.client import CommandRefused, HubUnreachable
from sync import wire
from sync.cityconfig import ConfigValidator, apply_city_config
from sync.settings import InboundSettings
from sync.state import InboxItem, SyncState

Handler = Callable[[InboxItem], None]

log = logging.getLogger(__name__)

CURSOR = "appt_cursor"
CONFIG_VERSION = "config_version"
CONFIG_REPORT = "config_reported"


class HubPort(Protocol):
    def execute(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]: ...


class CityReplies(Protocol):
    """What the applier sends to the city."""

    def request_sync(self, after: int, *, force: bool = False) -> None: ...

    def command_result(self, result: dict[str, Any]) -> None: ...

    def config_reported(self, report: dict[str, Any]) -> None: ...


class Resender(Protocol):
    """The event sender, as the city's `resend_events` command uses it."""

    def rewind_to(self, from_seq: int, why: str = ...) -> None: ...


class NotSent(Exception):
    """A reply the city link did not take (or acknowledge): the message stays stored and is
    applied again (the hub's idempotency key gives the same answer)."""


def digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def appointment_key(hall_id: str, change: dict[str, Any]) -> str:
    return f"city/{hall_id}/appt/{change['id']}/v{change['version']}"


class Applier:
    def __init__(
        self,
        hall_id: str,
        state: SyncState,
        hub: HubPort,
        out: CityReplies,
        resender: Resender,
        settings: InboundSettings,
        *,
        config_path: Path,
        validate_config: ConfigValidator,
        extra: Mapping[str, Handler] | None = None,
    ) -> None:
        self.hall_id = hall_id
        self.extra = dict(extra or {})
        self.state = state
        self.hub = hub
        self.out = out
        self.resender = resender
        self.s = settings
        self.config_path = config_path
        self.validate_config = validate_config

    @property
    def cursor(self) -> int:
        return self.state.get_int(CURSOR)

    def step(self) -> bool:
        """Apply the oldest stored message. False when there is none, or the hub did not
        answer (the message stays stored and is tried again)."""
        item = self.state.next_inbox()
        if item is None:
            return False
        try:
            handler = {
                "appointments": self._appointments,
                "catalog": self._catalog,
                "config": self._config,
                "command": self._command,
                **self.extra,
            }[item.kind]
        except KeyError:
            self.state.finish_inbox(item.id, "refused", f"unknown kind {item.kind}")
            return True
        try:
            handler(item)
        except HubUnreachable as exc:
            log.warning("the hub did not answer (%s); the city message waits", exc)
            return False
        except NotSent:
            return False  # the link is down or slow: applied again shortly
        return True

    # --- appointments -----------------------------------------------------------------

    def _appointments(self, item: InboxItem) -> None:
        page = item.payload
        held = self.cursor
        changes = page["changes"]
        cursor = int(page["cursor"])
        after = int(page.get("after", cursor - len(changes)))
        applied = 0
        for ch in changes:
            bad = wire.problems("appointmentChange", ch)
            if bad:
                self.state.refuse("appointment", "invalid", "; ".join(bad[:3]))
                log.warning("skipped an invalid appointment change: %s", "; ".join(bad[:3]))
                continue
            try:
                res = self.hub.execute(
                    "apply_appointment",
                    {"change": ch},
                    key=appointment_key(self.hall_id, ch),
                    timeout=self.s.hub_timeout_s,
                )
            except CommandRefused as r:
                self.state.refuse("appointment", r.code, f"{ch['id']} v{ch['version']}: {r.hint}")
                log.warning("the hub refused appointment %s v%s: %s", ch["id"], ch["version"], r)
                continue
            applied += int(bool(res.get("applied")))
        new = held
        if cursor > held and after <= held:
            new = cursor
        self.state.finish_inbox(
            item.id, note=f"applied {applied}/{len(changes)}", meta={CURSOR: new}
        )
        if cursor > held and after > held:
            log.info("appointments skip from cursor %d to %d: asking the city again", held, after)
            self.state.count("appointment_gaps")
            self.out.request_sync(held)

    # --- catalog ----------------------------------------------------------------------

    def _catalog(self, item: InboxItem) -> None:
        cat = item.payload
        version = int(cat["version"])
        key = f"city/{self.hall_id}/catalog/{version}/{digest(cat['services'])}"
        try:
            res = self.hub.execute(
                "apply_catalog",
                {"version": version, "services": cat["services"]},
                key=key,
                timeout=self.s.hub_timeout_s,
            )
        except CommandRefused as r:
            self.state.refuse("catalog", r.code, f"version {version}")
            log.warning("catalog version %d refused, the hall keeps its own: %s", version, r)
            self.state.finish_inbox(item.id, "refused", r.code)
            return
        note = "applied" if res.get("applied") else f"kept version {res.get('version')}"
        self.state.finish_inbox(
            item.id, note=note, meta={"catalog_version": str(res.get("version", version))}
        )

    # --- config -----------------------------------------------------------------------

    def _config(self, item: InboxItem) -> None:
        current = self.state.get_int(CONFIG_VERSION)
        outcome = apply_city_config(
            self.config_path,
            item.payload,
            managed=list(self.s.managed_sections),
            current=current,
            validate=self.validate_config,
        )
        if outcome is None:
            self.state.finish_inbox(item.id, note="not newer")
            return
        now = outcome.version if outcome.applied else current
        report = outcome.report(now)
        self.state.finish_inbox(
            item.id,
            "done" if outcome.applied else "refused",
            outcome.error[:200],
            {CONFIG_VERSION: now, CONFIG_REPORT: json.dumps(report, ensure_ascii=False)},
        )
        if outcome.applied:
            log.warning("city config version %d written to %s", outcome.version, self.config_path)
            self._reload(outcome.version)
        else:
            log.warning("city config version %d refused: %s", outcome.version, outcome.error)
        self.out.config_reported(report)

    # --- commands ---------------------------------------------------------------------

    def _command(self, item: InboxItem) -> None:
        cmd = item.payload
        name = str(cmd["command"])
        result: dict[str, Any] = {"v": 1, "command": name, "ok": True}
        if "id" in cmd:
            result["id"] = str(cmd["id"])
        if name == "resend_events" and isinstance(cmd.get("from_seq"), int):
            self.resender.rewind_to(int(cmd["from_seq"]), "resend_events")
        elif name == "resend_events":
            result.update(ok=False, error="resend_events needs from_seq (an integer >= 1)")
        else:
            result.update(ok=False, error=f"unknown command {name[:40]!r}")
            self.state.count("commands_refused")
        self.state.finish_inbox(item.id, note="ok" if result["ok"] else "refused")
        self.out.command_result(result)

    def _reload(self, version: int) -> None:
        """Run the reload command after a city config was written (e.g. restart the hub)."""
        cmd = list(self.s.reload_command)
        if not cmd:
            return
        try:
            subprocess.run(cmd, check=True, timeout=60, capture_output=True)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("reload command after config version %d failed: %s", version, exc)


class ApplierLoop:
    """The applier's thread: stored city messages applied one at a time, in arrival order.
    `wake` is set when a message was stored; a hub that did not answer is asked again
    within a second."""

    name = "sync-applier"

    def __init__(self, applier: Applier, stop: threading.Event) -> None:
        self.applier = applier
        self.wake = threading.Event()
        self._stop = stop

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.applier.step():
                    continue
            except Exception:
                log.exception("applying a city message failed; it stays stored")
                self._stop.wait(2.0)
                continue
            if self.applier.state.pending_inbox():
                self._stop.wait(1.0)  # the hub did not answer: try again shortly
            else:
                self.wake.wait(1.0)
                self.wake.clear()
