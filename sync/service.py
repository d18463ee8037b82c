"""`hall sync`: the hall's one client of the city broker, wired together.

Threads: the city link's network thread (stores inbound messages, acks), the sender (events
up), the applier (stored city messages → hub commands), and a ticker (load, health, nearby,
pruning). The hall bus carries commands to the hub and the retained `hall/v1/state/nearby`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from hall import __version__
from hall.bus.interface import Bus, BusError
from hall.core import navigation
from hall.core.timekeeping import rfc3339
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, StateCache, presence
from sync import telemetry, wire
from sync.cityconfig import ConfigValidator
from sync.inbound import CONFIG_REPORT, Applier, digest
from sync.link import CityLink, LinkOptions, TlsFiles, Will
from sync.outbox import Outbox, OutboxUnavailable
from sync.sender import EventSender, SenderSettings
from sync.settings import SyncConfig
from sync.state import SyncState

log = logging.getLogger(__name__)

NEARBY = p.PREFIX + "state/nearby"
"""Retained on the hall bus: other halls, their services and load, for the kiosk."""
INBOX_KINDS = ("appointments", "catalog", "config", "command")


class SyncService:
    def __init__(
        self,
        cfg: SyncConfig,
        *,
        validate_config: ConfigValidator,
        bus: Bus | None = None,
        wall: Any = time.time,
        sender_settings: SenderSettings | None = None,
    ) -> None:
        self.cfg = cfg
        s = cfg.sync
        self.s = s
        self.hall_id = cfg.hall.id
        self._wall = wall
        self.boot_id = uuid.uuid4().hex[:12]
        self._own_bus = bus is None
        if bus is None:
            from hall.bus.mqtt import MqttBus

            birth, will = presence(s.id, "sync")
            bus = MqttBus(s.id, host=cfg.bus.host, port=cfg.bus.port, birth=birth, will=will)
        self.bus: Bus = bus
        self.hub = HallClient(bus, timeout=s.hub_timeout_s)
        self.cache = StateCache(bus)
        self.state = SyncState(cfg.base / s.state_file)
        self.outbox = Outbox(cfg.database_path)
        self.sender = EventSender(
            self.hall_id,
            self.outbox,
            self.state,
            self._publish_events,
            sender_settings
            or SenderSettings(
                batch_max_events=s.batch_max_events,
                batch_max_bytes=s.batch_max_bytes,
                max_inflight=s.max_inflight_batches,
                backlog_inflight=s.backlog_inflight_batches,
                ack_timeout=s.ack_timeout_s,
                backlog_rate=s.backlog_rate,
            ),
        )
        self.applier = Applier(
            self.hall_id,
            self.state,
            self.hub,
            self,
            config_path=cfg.source,
            validate_config=validate_config,
            managed_sections=list(s.managed_sections),
            hub_timeout=s.hub_timeout_s,
            on_config_applied=self._config_applied,
        )
        cloud = self.state.retained(wire.CLOUD_STATUS).get(wire.CLOUD_STATUS)
        self.sender.on_cloud_status(bool(cloud and cloud.get("online")))
        tls = None
        if s.tls:
            b = cfg.base
            tls = TlsFiles(str(b / s.ca_file), str(b / s.cert_file), str(b / s.key_file))
        self.link = CityLink(
            LinkOptions(
                host=s.host,
                port=s.port,
                client_id=wire.client_id(self.hall_id),
                tls=tls,
                protocol=s.protocol,
                keepalive=s.keepalive_s,
                session_expiry=s.session_expiry_s,
                connect_timeout=s.connect_timeout_s,
                reconnect_min=s.reconnect_min_s,
                reconnect_max=s.reconnect_max_s,
                will=Will(self._up("status"), wire.encode(telemetry.STATUS_OFFLINE)),
                subscriptions=tuple(wire.hall_subscriptions(self.hall_id)),
                probe_topic=f"{wire.hall_prefix(self.hall_id)}/down/probe",
                max_inflight=s.max_inflight_batches + 16,
            ),
            self._on_city_message,
            on_up=self._on_up,
            on_down=self._on_down,
        )
        self._stop = threading.Event()
        self._ticked = time.monotonic()  # the ticker loop's last round (watchdog)
        self._inbox_wake = threading.Event()
        self._nearby_dirty = threading.Event()
        self._nearby_dirty.set()
        self._sync_sent: tuple[int, float] | None = None
        self._load = telemetry.Throttle(s.load_min_interval_s)
        self._health_sig: Any = None
        self._health_at = 0.0
        self._connected_at = ""
        found = self.state.retained(wire.HALLS)
        self._loads = {
            t[len(wire.HALLS) :].split("/", 1)[0]: v
            for t, v in found.items()
            if t.endswith("/up/load")
        }
        self._loads_unsaved: dict[str, dict[str, Any]] = {}
        self._loads_lock = threading.Lock()
        self._city_at = self.state.retained_at()
        self._nearby_at = 0.0
        self._threads = [
            threading.Thread(target=self._sender_loop, name="sync-sender", daemon=True),
            threading.Thread(target=self._applier_loop, name="sync-applier", daemon=True),
            threading.Thread(target=self._ticker_loop, name="sync-ticker", daemon=True),
        ]

    # --- life -------------------------------------------------------------------------

    def start(self) -> SyncService:
        log.info("sync for %s: city broker %s", self.hall_id, self.s.broker_url)
        for t in self._threads:
            t.start()
        self.link.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.sender.wake.set()
        self._inbox_wake.set()
        self.link.stop(final=[(self._up("status"), wire.encode(telemetry.STATUS_OFFLINE), 1, True)])
        for t in self._threads:
            t.join(timeout=10)
        self._save_loads()
        self.cache.close()
        if self._own_bus:
            self.bus.close()
        self.outbox.close()
        self.state.close()

    def wait(self) -> None:
        while not self._stop.wait(1.0):
            pass

    # --- helpers ----------------------------------------------------------------------

    def _up(self, kind: str) -> str:
        return wire.up(self.hall_id, kind)

    def _now(self) -> str:
        return rfc3339(self._wall(), self.cfg.tz)

    def _publish(self, kind: str, payload: dict[str, Any]) -> bool:
        _, qos, retain = wire.UP[kind]
        return self.link.publish(self._up(kind), wire.encode(payload), qos=qos, retain=retain)

    def _publish_events(self, data: bytes) -> bool:
        return self.link.publish(self._up("events"), data, qos=1)

    # --- the city link's callbacks (network thread) -----------------------------------

    def _on_up(self, session_present: bool) -> None:
        self._connected_at = self._now()
        self.sender.on_connected()
        self._publish(
            "status", telemetry.status_online(__version__, self.boot_id, self._connected_at)
        )
        report = self.state.get(CONFIG_REPORT)
        if report:
            self._publish("config-reported", json.loads(report))
        self.request_sync(self.applier.cursor, force=True)
        self._load.reset()
        self._health_sig = None
        self._nearby_dirty.set()

    def _on_down(self) -> None:
        self.sender.on_disconnected()
        self._nearby_dirty.set()

    def _refuse(self, topic: str, reason: str, detail: str) -> None:
        kind = topic.rsplit("/", 1)[-1][:40]
        self.state.refuse(kind, reason, detail)
        log.warning("refused a city message on …/%s: %s %s", kind, reason, detail)

    def _on_city_message(self, topic: str, data: bytes, retained: bool) -> None:
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

    def _dispatch(self, topic: str, r: wire.Route, payload: dict[str, Any]) -> None:
        if r.kind == "load" and r.direction == "up":
            if r.hall_id != self.hall_id:
                with self._loads_lock:
                    self._loads[r.hall_id] = payload
                    self._loads_unsaved[topic] = payload
                self._city_at = self._wall()
                self._nearby_dirty.set()
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
            else:
                self._city_at = self._wall()
            self._nearby_dirty.set()
        elif r.kind in ("catalog", "config"):
            seen = f"{payload['version']}/{digest(payload)}"
            if self.state.get(f"seen_{r.kind}") != seen:
                self.state.put_inbox(r.kind, payload, **{f"seen_{r.kind}": seen})
                self._inbox_wake.set()
        elif r.kind in INBOX_KINDS:
            self.state.put_inbox(r.kind, payload)
            self._inbox_wake.set()

    # --- Outbound (the applier's) ----------------------------------------------------

    def request_sync(self, after: int, *, force: bool = False) -> None:
        now = time.monotonic()
        last = self._sync_sent
        if (
            not force
            and last is not None
            and last[0] == after
            and now - last[1] < self.s.appointments_sync_timeout_s
        ):
            return
        if self._publish("appointments-sync", {"v": 1, "after": after}):
            self._sync_sent = (after, now)

    def resend_events(self, from_seq: int) -> None:
        self.sender.rewind_to(from_seq, "resend_events")

    def command_result(self, result: dict[str, Any]) -> None:
        self._publish("command-result", result)

    def config_reported(self, report: dict[str, Any]) -> None:
        self._publish("config-reported", report)

    def _config_applied(self, version: int) -> None:
        cmd = list(self.s.reload_command)
        if not cmd:
            return
        try:
            subprocess.run(cmd, check=True, timeout=60, capture_output=True)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("reload command after config version %d failed: %s", version, exc)

    # --- threads ----------------------------------------------------------------------

    def _sender_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.sender.pump()
            except OutboxUnavailable as exc:
                log.warning("cannot read the hall's event log: %s", exc)
                self._stop.wait(2.0)
                continue
            except Exception:
                log.exception("the event sender failed; going on")
                self._stop.wait(2.0)
                continue
            if not sent:
                self.sender.wake.wait(self.s.poll_interval_s)
                self.sender.wake.clear()

    def _applier_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.applier.step():
                    continue
            except Exception:
                log.exception("applying a city message failed; it stays stored")
                self._stop.wait(2.0)
                continue
            if self.state.pending_inbox():
                self._stop.wait(1.0)  # the hub did not answer: try again shortly
            else:
                self._inbox_wake.wait(1.0)
                self._inbox_wake.clear()

    def alive(self, max_age: float = 30.0) -> bool:
        """For the systemd watchdog: the ticker loop went round within ``max_age`` s."""
        return time.monotonic() - self._ticked < max_age

    def _ticker_loop(self) -> None:
        last_prune = last_save = time.monotonic()
        while not self._stop.wait(0.25):
            now = self._ticked = time.monotonic()
            try:
                self._tick_load(now)
                self._tick_health(now)
                self._tick_nearby()
                if now - last_prune > 3600:
                    last_prune = now
                    self.state.prune_inbox()
                if now - last_save > 30:
                    last_save = now
                    self._save_loads()
            except (BusError, OutboxUnavailable, OSError) as exc:
                log.warning("sync housekeeping: %s", exc)
            except Exception:
                log.exception("sync housekeeping failed; going on")

    def _save_loads(self) -> None:
        """Other halls' load arrives often: kept in memory, saved every 30 s (and at stop)."""
        with self._loads_lock:
            items, self._loads_unsaved = self._loads_unsaved, {}
        if items:
            self.state.put_retained_many(items, self._wall())

    def _tick_load(self, now: float) -> None:
        value = telemetry.load_from_board(self.cache.board)
        if not self.link.connected or not self._load.due(value, now):
            return
        assert value is not None
        if self._publish("load", {"v": 1, "at": self._now(), **value}):
            self._load.sent(value, now)

    def health_payload(self) -> dict[str, Any]:
        snap = self.sender.snapshot()
        return telemetry.health(
            self._now(),
            devices=self.outbox.devices(),
            roles=self.cache.get(p.ROLES),
            hub_link=self.bus.is_connected,
            sync={
                "backlog": self.sender.backlog(),
                "acked_through": snap["acked"],
                "rejected": len(self.state.rejected()),
                "inbox": self.state.pending_inbox(),
                "appointments_cursor": self.applier.cursor,
            },
        )

    def _tick_health(self, now: float) -> None:
        if not self.link.connected:
            return
        payload = self.health_payload()
        sig = telemetry.health_signature(payload)
        if sig != self._health_sig or now - self._health_at >= self.s.health_interval_s:
            self._health_sig = sig
            self._health_at = now
            self._publish("health", payload)

    def nearby_payload(self) -> dict[str, Any]:
        with self._loads_lock:
            loads = dict(self._loads)
        directory = self.state.retained(wire.DIRECTORY).get(wire.DIRECTORY)
        at = self._city_at
        return navigation.build_nearby(
            directory,
            loads,
            hall_id=self.hall_id,
            at=rfc3339(at, self.cfg.tz) if at is not None and directory else None,
            online=self.link.connected and self.sender.cloud_online,
            max_halls=self.s.nearby_max_halls,
            max_km=self.s.nearby_max_km,
        )

    def _tick_nearby(self) -> None:
        now = time.monotonic()
        if not self._nearby_dirty.is_set() or not self.bus.is_connected:
            return
        if now - self._nearby_at < 2.0:
            return
        self._nearby_at = now
        self._nearby_dirty.clear()
        try:
            self.bus.publish(NEARBY, self.nearby_payload(), retain=True)
        except BusError:
            self._nearby_dirty.set()
            raise

    def status(self) -> dict[str, Any]:
        return {
            "hall_id": self.hall_id,
            "connected": self.link.connected,
            "link": dict(self.link.stats),
            "sender": self.sender.snapshot(),
            "cursor": self.applier.cursor,
            "counters": self.state.counters(),
        }


def state_path(cfg: SyncConfig) -> Path:
    return cfg.base / cfg.sync.state_file
