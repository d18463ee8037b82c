"""`hall sync`: the hall's one client of the city broker. This module only builds and wires
the parts; each flow lives in its own module with its own thread where it needs one:

- the city link (`sync.link`): its network thread stores inbound messages
  (`sync.citymessages`) and acknowledges them;
- events up (`sync.sender`, its thread `sync.sendloop`): the hall's log in batches;
- city messages applied (`sync.inbound`): `ApplierLoop` turns stored messages into hub
  commands; it replies through `sync.uplink`;
- telemetry (`sync.ticker`): load and health to the city, `hall/v1/state/nearby` on the
  hall bus (`sync.cityview`), housekeeping;
- 云叫号: the phones' ticket requests, arrivals and watches applied like the other city
  messages (`sync.phones`); the hub's live `hall/v1/event/progress` relayed as the city's
  `ticket-progress`, rate-limited per ticket (`sync.progress`, its thread flushes).
The hall bus carries the commands to the hub, the retained nearby topic and the progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from hall.bus.interface import Bus, Subscription
from hall.core.timekeeping import rfc3339
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, StateCache, presence
from hall.mqttvalues import ConnectOptions, Reconnect, TlsFiles, Will
from sync import telemetry, wire
from sync.cityconfig import ConfigValidator
from sync.citymessages import CityMessages
from sync.cityview import CityView
from sync.faults import ACK_AHEAD, CERTIFICATE_CN, NOT_AUTHORIZED, FaultReporter, Faults
from sync.inbound import CONFIG_REPORT, Applier, ApplierLoop
from sync.link import STABLE_AFTER_S, CityLink, city_options
from sync.outbox import Outbox
from sync.phones import PhoneDesk
from sync.progress import ProgressLoop, ProgressRelay
from sync.sender import EventSender
from sync.sendloop import SenderLoop
from sync.settings import CityLinkSettings, SyncConfig
from sync.state import SyncState
from sync.ticker import TelemetryLoop
from sync.tlsfiles import certificate_cn
from sync.uplink import Uplink

log = logging.getLogger(__name__)


class Loop(Protocol):
    name: str

    def run(self) -> None: ...


def tls_files(s: CityLinkSettings, base: Path) -> TlsFiles | None:
    if not s.tls:
        return None
    return TlsFiles(str(base / s.ca_file), str(base / s.cert_file), str(base / s.key_file))


def link_options(
    hall_id: str, s: CityLinkSettings, base: Path, *, will: Will, max_inflight: int
) -> ConnectOptions:
    """The city link as [sync] and the contract ask (the hall's client id, its probe topic)."""
    tls = tls_files(s, base)
    return city_options(
        s.host,
        s.port,
        wire.client_id(hall_id),
        tls=tls,
        protocol=s.protocol,
        keepalive=s.keepalive_s,
        session_expiry=s.session_expiry_s,
        connect_timeout=s.connect_timeout_s,
        reconnect=Reconnect(s.reconnect_min_s, s.reconnect_max_s, stable_after=STABLE_AFTER_S),
        will=will,
        probe_topic=f"{wire.hall_prefix(hall_id)}/down/probe",
        max_inflight=max_inflight,
    )


class SyncService:
    def __init__(
        self,
        cfg: SyncConfig,
        *,
        validate_config: ConfigValidator,
        bus: Bus | None = None,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`wall`: the hall's time (RFC 3339 `at`s, faults); `clock`: what the ticket
        progress's rate limit counts in (tests and the simulated demo day move it)."""
        s = cfg.sync
        self.cfg = cfg
        self.hall_id = hall_id = cfg.hall.id
        tls = tls_files(s, cfg.base)
        cn = certificate_cn(tls) if tls is not None else None  # ConfigError: one line, exit 2
        self._own_bus = bus is None
        self.bus: Bus = bus if bus is not None else _hall_bus(cfg)
        self.hub = HallClient(self.bus, timeout=s.hub_timeout_s)
        self.cache = StateCache(self.bus)
        self.state = SyncState(cfg.base / s.state_file)
        self.faults = Faults(self.state, wall=wall)
        self.outbox = Outbox(cfg.database_path)
        self._stop = threading.Event()
        self._progress_sub: Subscription | None = None

        offline = Will(wire.up(hall_id, "status"), wire.encode(telemetry.STATUS_OFFLINE))
        # room for every event batch in flight, and for status, load, health and replies
        inflight = s.max_inflight_batches + 16
        self.link = CityLink(
            link_options(hall_id, s, cfg.base, will=offline, max_inflight=inflight),
            subscriptions=tuple(wire.hall_subscriptions(hall_id)),
        )
        self.uplink = Uplink(self.link, hall_id, s, now=lambda: rfc3339(wall(), cfg.tz))
        self.sender = EventSender(
            hall_id,
            self.outbox,
            self.state,
            self.uplink.events,
            s,
            on_ack_ahead=self._ack_ahead,
            on_refused=self._refused,
            on_accepted=lambda: self.faults.clear(NOT_AUTHORIZED),
        )
        self._check_certificate(cn)
        self.progress = ProgressRelay(
            lambda msg: self.uplink.publish("ticket-progress", msg), clock=clock
        )
        self.phones = PhoneDesk(
            hall_id,
            self.state,
            self.hub,
            self.link.send,
            hub_timeout_s=s.hub_timeout_s,
            watched=self.progress,
        )
        self.applier = Applier(
            hall_id,
            self.state,
            self.hub,
            self.uplink,
            self.sender,
            s,
            config_path=cfg.source,
            validate_config=validate_config,
            extra=self.phones.handlers(),
        )
        self.view = CityView(hall_id, self.state, s, wall=wall, tz=cfg.tz)
        self.sender.on_cloud_status(self.view.cloud_online())
        applier_loop = ApplierLoop(self.applier, self._stop)
        self.city = CityMessages(hall_id, self.state, self.sender, self.view, applier_loop.wake)
        self.telemetry = TelemetryLoop(
            s,
            self._stop,
            link=self.link,
            uplink=self.uplink,
            bus=self.bus,
            cache=self.cache,
            outbox=self.outbox,
            state=self.state,
            sender=self.sender,
            view=self.view,
            cursor=lambda: self.applier.cursor,
            faults=self.faults,
            reporter=FaultReporter(self.faults, self.hub, self.bus.client_id, s.hub_timeout_s),
        )
        self._loops: list[Loop] = [
            SenderLoop(self.sender, s, self._stop),
            applier_loop,
            self.telemetry,
            ProgressLoop(self.progress, self._stop),
        ]
        self._wakes = [self.sender.wake, applier_loop.wake]
        self._threads = [
            threading.Thread(target=loop.run, name=loop.name, daemon=True) for loop in self._loops
        ]

    # --- life -------------------------------------------------------------------------

    def start(self) -> SyncService:
        log.info("sync for %s: city broker %s", self.hall_id, self.cfg.sync.broker_url)
        for t in self._threads:
            t.start()
        self._progress_sub = self.bus.subscribe(p.PROGRESS_EVENT, self.progress.on_message)
        self.link.start(self.city.on_message, on_up=self._link_up, on_down=self._link_down)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._progress_sub is not None:
            self._progress_sub.unsubscribe()
        for wake in self._wakes:
            wake.set()
        self.link.stop(final=[self.uplink.offline()])
        for t in self._threads:
            t.join(timeout=10)
        self.sender.flush()
        self.view.save()
        self.cache.close()
        if self._own_bus:
            self.bus.close()
        self.outbox.close()
        self.state.close()

    def wait(self) -> None:
        while not self._stop.wait(1.0):
            pass

    def alive(self, max_age: float = 30.0) -> bool:
        """For the systemd watchdog: the ticker went round within ``max_age`` s."""
        return self.telemetry.alive(max_age)

    # --- faults a person must look at (sync.faults) -----------------------------------

    def _check_certificate(self, cn: str | None) -> None:
        """The broker knows a hall by its certificate's CN: another hall's certificate makes
        every publish of ours refused. Reported, and the sender tries slowly."""
        if cn is None or cn == self.hall_id:
            self.faults.clear(CERTIFICATE_CN)
            return
        self.faults.raise_(
            CERTIFICATE_CN, f"the client certificate is for '{cn[:40]}', not this hall"
        )
        self.sender.refusal.slow = True

    def _ack_ahead(self, acked: int, sent: int) -> None:
        self.faults.raise_(
            ACK_AHEAD, f"the city acked {acked}; this hall has sent events up to {sent} only"
        )

    def _refused(self, reason: str) -> None:
        self.faults.raise_(NOT_AUTHORIZED, f"the city broker refused our events: {reason[:80]}")

    # --- the city link's state (on its network thread) --------------------------------

    def _link_up(self, session_present: bool) -> None:
        self.sender.on_connected()
        self.uplink.on_link_up(self.applier.cursor, self.state.get(CONFIG_REPORT))
        self.telemetry.on_link_up()

    def _link_down(self) -> None:
        self.sender.on_disconnected()
        self.view.dirty.set()

    # --- what the technician and the tests read ---------------------------------------

    def nearby_payload(self) -> dict[str, Any]:
        return self.telemetry.nearby_payload()

    def status(self) -> dict[str, Any]:
        return {
            "hall_id": self.hall_id,
            "connected": self.link.connected,
            "link": dict(self.link.stats),
            "sender": self.sender.snapshot(),
            "cursor": self.applier.cursor,
            "progress": self.progress.snapshot(),
            "counters": self.state.counters(),
            "faults": self.faults.summary(),
        }


def _hall_bus(cfg: SyncConfig) -> Bus:
    from hall.bus.mqtt import hall_bus

    birth, will = presence(cfg.sync.id, "sync")
    return hall_bus(cfg, cfg.sync.id, birth=birth, will=will)
