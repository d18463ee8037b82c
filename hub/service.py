"""The hub: the queue core as a service on the hall bus, the one owner of the queue's tables.

Requests are answered on the bus's delivery thread, one at a time, in arrival order (one
writer, no races). State is published retained by a separate publisher thread that
coalesces bursts, so a reply never waits for the board to be encoded; calls go out live
at once for the displays to announce.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hall.bus.interface import Bus, BusError, JsonObject, Message
from hall.core import commands as c
from hall.core import events as ev
from hall.core.decide import housekeeping_due
from hall.core.errors import Refused
from hall.core.state import HallState
from hall.core.timekeeping import rfc3339
from hall.core.views import (
    board_view,
    catalog_view,
    counter_view,
    devices_view,
    masked_name,
)
from hall.devices import DeviceRegistry, RegistryError
from hall.hubapi import protocol as p
from hall.hubapi.messages import CallMessage
from hall.hubapi.validate import problems
from hall.store.checkpoint import Checkpointer
from hall.store.store import HallStore
from hub import authz, gate
from hub.progress import ProgressPublisher

log = logging.getLogger(__name__)
T = TypeVar("T")

REPLY_FIRST_S = 0.002
DENIAL_RECORD_S = 60.0  # one access.denied event a minute per device, command and reason
STATE_QOS = 0  # retained state; requests, replies and calls stay at QoS 1


class Hub:
    """`Hub(bus, store, hall_name=…).start()`; `tick()` every second or so; `stop()`."""

    def __init__(
        self,
        bus: Bus,
        store: HallStore,
        *,
        hall_name: str = "",
        notice: str = "",
        wall: Callable[[], float] = time.time,
        state_interval: float = 0.05,
        masked_names: bool = False,
        devices: DeviceRegistry | None = None,
        city_key: Ed25519PublicKey | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.hall_name = hall_name
        self.notice = notice
        self._wall = wall
        self.masked_names = masked_names  # "张*" of appointment tickets with their calls
        self.devices = devices if devices is not None else DeviceRegistry()  # who may ask
        self.city_key = city_key  # the city's token key: the hub checks QR tokens itself
        self._denials: dict[tuple[str, str, str], tuple[float, int]] = {}
        self.state_interval = state_interval  # bursts of commands: one publication per interval
        self._lock = threading.RLock()  # the store: requests (bus thread) and tick()
        self._dirty = threading.Event()
        self._force = False
        self._published: dict[str, str] = {}  # topic → last JSON published (retained)
        self._published_obj: dict[str, JsonObject] = {}  # … and the object it came from
        self._catalog_cache: tuple[Any, tuple[Any, ...], JsonObject] | None = None
        self._roles: dict[str, dict[str, str]] = {}
        self._roles_dirty = False
        self._stopping = threading.Event()
        self._publisher = threading.Thread(target=self._publish_loop, name="hub-state", daemon=True)
        self.counts: Counter[str] = Counter()
        self.progress = ProgressPublisher(bus, store, self._lock, self.counts)
        self._subs: list[Any] = []
        self._checkpointer: Checkpointer | None = None

    # --- life ---------------------------------------------------------------------------

    def start(self) -> None:
        self.bus.on_connection(self._on_link)
        self._subs.append(self.bus.subscribe(p.PRESENCE_PATTERN, self._on_presence))
        # Requests are answered on the network thread (one at a time, in arrival order):
        # a hand-off to the delivery thread and back costs more than most commands.
        self._subs.append(
            self.bus.serve(p.CMD_PATTERN, self._on_request, inline=True, invalid=self._on_invalid)
        )
        self._publisher.start()
        self._checkpointer = self.store.checkpoint_in_background()
        self.refresh(force=True)

    def stop(self) -> None:
        for s in self._subs:
            s.unsubscribe()
        self._stopping.set()
        self._dirty.set()
        if self._publisher.is_alive():
            self._publisher.join(timeout=5)
        if self._checkpointer is not None:
            self._checkpointer.stop()

    def refresh(self, force: bool = False) -> None:
        """Ask the publisher to bring the retained state up to date."""
        if force:
            self._force = True
        self._dirty.set()

    def tick(self) -> None:
        """Between commands: write the rows of the events since the last tick
        (hall/store/projection.py); housekeeping as the core decides it
        (`housekeeping_due`): close a finished business day, void tickets whose print was
        never confirmed; and read the device registry again if a technician changed it."""
        try:
            if self.devices.reload_if_changed():
                log.warning("device registry reloaded: %d devices", len(self.devices.all()))
        except RegistryError as exc:
            self.counts["registry_errors"] += 1
            log.error("device registry not reloaded, the old one stays: %s", exc)
        self.flush_tables()
        with self._lock:
            if not housekeeping_due(self.store.state, self.store.now()):
                return
            try:
                out = self.store.execute(c.Housekeep())
            except Refused:
                return
            except (sqlite3.Error, OSError):
                log.exception("housekeeping failed")
                return
        if out.events:
            self._after(list(out.events))

    def flush_tables(self) -> bool:
        """Write the rows of the events since the last batch (hall/store/projection.py);
        on an error the log still has them and the next tick tries again."""
        with self._lock:
            try:
                return self.store.flush_tables()
            except (sqlite3.Error, OSError) as exc:
                self.counts["table_flush_errors"] += 1
                log.warning("the tables were not brought up to the log: %s", exc)
                return False

    # --- requests -----------------------------------------------------------------------

    def _on_request(self, topic: str, payload: JsonObject) -> JsonObject:
        where = p.parse_cmd_topic(topic)
        if where is None or where[1] not in p.COMMANDS:
            self.counts["unknown_command"] += 1
            log.warning("refused a request on an unknown command topic (%d chars)", len(topic))
            return p.error_reply(p.UNKNOWN_COMMAND, "系统不支持该操作", "no such command topic")
        device_id, name = where
        bad = problems("request", payload)
        if not bad and isinstance(payload.get("args"), dict):
            bad = [f"args/{x}" for x in problems(f"{name}_args", payload["args"])]
        if bad:
            self.counts["invalid_request"] += 1
            log.warning(
                "refused an invalid %s request from %s: %s", name, device_id, "; ".join(bad)
            )
            return p.error_reply(p.INVALID_REQUEST, "请求格式不正确", "; ".join(bad)[:400])
        adm = gate.admit(
            self.devices.get(device_id),
            name,
            dict(payload["args"]),
            self.store.state,
            city_key=self.city_key,
            now=self.store.now().ts,
        )
        if adm.denied is not None:
            return self._deny(device_id, name, adm.denied)
        if adm.refusal is not None:
            return adm.refusal
        cmd = p.build_command(name, adm.args)
        try:
            with self._lock:
                out = self.store.execute(cmd, idempotency_key=f"{device_id}:{payload['key']}")
        except Refused as r:
            self.counts["refused"] += 1
            reply = p.error_reply(r.code, r.message, r.hint)
            return reply
        except (sqlite3.Error, OSError) as exc:
            self.counts["hub_fault"] += 1
            log.error("command %s failed in the store: %s", name, exc)
            return p.error_reply(
                p.HUB_FAULT, "系统故障，请稍后再试或联系工作人员", type(exc).__name__
            )
        self.counts["commands"] += 1
        if out.duplicate:
            self.counts["duplicates"] += 1
        elif out.events:
            self._after(list(out.events))
        return p.ok_reply(dict(out.result), out.duplicate)

    def _on_invalid(self, topic: str, why: str) -> JsonObject:
        """A request the bus could not decode (not JSON, not an object, too large) still
        gets an answer: its requester would otherwise wait out its deadline."""
        self.counts["invalid_request"] += 1
        where = p.parse_cmd_topic(topic)
        device = where[0][:64] if where else "?"
        log.warning("refused an unreadable request from %s: %s", device, why)
        hint = {
            "dropped_oversized": "payload larger than 64 KiB",
            "dropped_not_object": "payload is not a JSON object",
        }.get(why, "payload is not UTF-8 JSON")
        return p.error_reply(p.INVALID_REQUEST, "请求格式不正确", hint)

    def _deny(self, device_id: str, name: str, denied: authz.Denied) -> JsonObject:
        """Refuse, log who tried what, and record it (at most once a minute per kind)."""
        self.counts["forbidden"] += 1
        log.warning("refused %s from device %s: %s", name, device_id[:64], denied.reason)
        key = (device_id[:64], name, denied.reason)
        now = time.monotonic()
        last, suppressed = self._denials.get(key, (-1e9, 0))
        if now - last < DENIAL_RECORD_S:
            self._denials[key] = (last, suppressed + 1)
        else:
            self._denials[key] = (now, 0)
            try:
                with self._lock:
                    out = self.store.execute(c.RecordDenial(*key, count=suppressed + 1))
                self._after(list(out.events))
            except (Refused, sqlite3.Error, OSError) as exc:
                log.error("the refusal of %s from %s was not recorded: %s", name, device_id, exc)
        return p.error_reply(p.FORBIDDEN, denied.message, denied.reason)

    def _after(self, events: list[ev.Event]) -> None:
        # Calls go out at once, before the reply: whoever sees a call confirmed (a pad, a
        # kiosk) can count on the displays having it too.
        for e in events:
            if isinstance(e.payload, ev.TicketCalled):
                self._send_call(self._call_message(e, e.payload))
        self._dirty.set()

    def _send_call(self, msg: dict[str, Any]) -> None:
        try:
            self.bus.publish(p.CALL_EVENT, msg, retain=False)
        except BusError as exc:
            self.counts["calls_unsent"] += 1
            log.warning("call %s not announced: %s", msg["seq"], exc)

    def _call_message(self, e: ev.Event, d: ev.TicketCalled) -> JsonObject:
        cnt = self.store.state.counter(d.counter)
        name = masked_name(self.store.state, d.number) if self.masked_names else None
        return CallMessage(
            number=d.number,
            counter=d.counter,
            counter_name=cnt.spec.display_name if cnt else f"{d.counter}号窗口",
            service=d.service,
            recall=d.recall,
            seq=e.seq,
            at=rfc3339(e.ts, self.store.tz),
            masked_name=name or None,
        ).to_dict()

    # --- state ----------------------------------------------------------------------------

    def read(self, query: Callable[[HallState], T]) -> T:
        """Run `query` on the queue's state between two commands (for in-process readers
        such as the demo; roles on the bus read the retained state instead). The query
        must not keep references into the state, which the next command changes."""
        with self._lock:
            return query(self.store.state)

    def snapshot(self) -> dict[str, JsonObject]:
        """Every retained state topic and its payload, as of now."""
        with self._lock:
            st = self.store.state
            out = {
                p.BOARD: board_view(st, self.hall_name, self.notice, self.masked_names),
                p.CATALOG: self._catalog_view(),
                p.DEVICES: devices_view(st),
            }
            for cid in st.counters:
                out[p.counter_topic(str(cid))] = counter_view(st, cid)
            return out

    def _catalog_view(self) -> JsonObject:
        """The catalog view, made again only when the catalog or the counters' services
        change (it is the largest view and changes a few times a year)."""
        st = self.store.state
        specs = (self.hall_name, *(c.spec for c in st.counters.values()))
        cached = self._catalog_cache
        if cached is not None and cached[0] is st.catalog and cached[1] == specs:
            return cached[2]
        view = catalog_view(st, self.hall_name)
        self._catalog_cache = (st.catalog, specs, view)
        return view

    def _publish_loop(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            self._dirty.clear()
            if self._stopping.is_set():
                return
            # Let the reply to the command that made the change go out first: computing the
            # views holds the GIL and the store lock for a few milliseconds.
            time.sleep(REPLY_FIRST_S)
            started = time.monotonic()
            try:
                self._publish_state()
            except Exception:
                log.exception("publishing the hall state failed")
                time.sleep(0.5)
                self._dirty.set()
            # A lone change goes out at once; a burst is coalesced into one per interval.
            self._stopping.wait(max(0.0, self.state_interval - (time.monotonic() - started)))

    def _publish_state(self) -> None:
        if not self.bus.is_connected:
            return  # on reconnect _on_link forces a full publish
        force, self._force = self._force, False
        for topic, payload in self.snapshot().items():
            if not force and self._published_obj.get(topic) is payload:
                continue  # a cached view, published as it is
            data = json.dumps(payload, ensure_ascii=False, sort_keys=True)
            if not force and self._published.get(topic) == data:
                self._published_obj[topic] = payload
                continue
            try:
                # QoS 0: the retained state is republished whole on every reconnect and
                # superseded by the next change, so a broker's PUBACK would buy nothing.
                self.bus.publish(topic, payload, retain=True, qos=STATE_QOS)
            except BusError as exc:
                log.warning("state %s not published: %s", topic, exc)
                self._force = True
                return
            self._published[topic] = data
            self._published_obj[topic] = payload
        if self._roles_dirty or force:
            self._roles_dirty = False
            self._publish_roles()
        self.progress.publish()

    def _on_link(self, up: bool) -> None:
        if up:
            log.info("hub on the hall bus: publishing the whole state")
            self.refresh(force=True)

    # --- presence -------------------------------------------------------------------------

    def _on_presence(self, msg: Message) -> None:
        client = msg.topic[len(p.PRESENCE_PREFIX) :]
        if problems("presence", msg.payload):
            self.counts["invalid_presence"] += 1
            log.warning("ignored an invalid presence message")
            return
        status = str(msg.payload["status"])
        old = self._roles.get(client)
        if old and old["status"] == status:
            return
        self._roles[client] = {
            "role": str(msg.payload["role"]),
            "status": status,
            "since": rfc3339(self._wall(), self.store.tz),
        }
        if status != "up":
            log.warning("role %s (%s) is %s", client, msg.payload["role"], status)
        self._roles_dirty = True
        self._dirty.set()

    def _publish_roles(self) -> None:
        payload = {"at": rfc3339(self._wall(), self.store.tz), "roles": dict(self._roles)}
        try:
            self.bus.publish(p.ROLES, payload, retain=True)
        except BusError:
            self._roles_dirty = True

    def snapshot_matches(self) -> bool:
        """True when every retained state topic carries the current state (for tests)."""
        for topic, payload in self.snapshot().items():
            if self._published.get(topic) != json.dumps(
                payload, ensure_ascii=False, sort_keys=True
            ):
                return False
        return True

    def stats(self) -> dict[str, int]:
        return {**self.counts, **{f"bus_{k}": v for k, v in self.bus.stats.items()}}
