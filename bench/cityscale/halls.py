"""A simulated hall: the objects `sync.service.SyncService` composes for the city link —
`CityLink` (options from `sync.service.link_options`: client id, persistent session, will,
backoff 1–60 s full jitter, probe), `Uplink` (status and `appointments-sync` on every
connect), `EventSender` (the in-order stream, go-back-N, backlog gating on cloud/status, the
backlog rate and window), `CityMessages` with a real `SyncState` and `CityView` (acks, cloud
status, appointment pages stored in the inbox) — over the hall's own event log read by the
real `Outbox`. Left out: the hub (commands), the applier loop and telemetry (load, health):
they need a hub, and the hall bus is not what is measured. The sender is pumped by the mux
instead of its `SenderLoop` thread (woken by its `wake`, and every 0.25 s while it has
backlog or batches out, as the loop's poll would).
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.cityscale.eventlog import EventLog, HallSpec
from bench.cityscale.mux import Mux, Muxed, Wake
from hall.core.timekeeping import rfc3339
from sync import telemetry, wire
from sync.citymessages import CityMessages
from sync.cityview import CityView
from sync.link import CityLink
from sync.outbox import Outbox
from sync.sender import EventSender
from sync.service import link_options
from sync.settings import SyncSection
from sync.state import SyncState
from sync.uplink import Uplink

TZ = ZoneInfo("Asia/Shanghai")


class SimHall:
    def __init__(
        self,
        spec: HallSpec,
        log: EventLog,
        folder: Path,
        settings: SyncSection,
        mux: Mux,
        latencies: list[float],
        *,
        memory_state: bool = True,
    ) -> None:
        self.spec = spec
        self.hall_id = hid = spec.hall_id
        self.log = log
        self.latencies = latencies
        self.live: deque[tuple[int, float]] = deque()  # (seq, written at) of live events
        self.connects = 0
        self.up_at = 0.0  # monotonic time of the last connect
        self.since_up: list[float] = []  # latency counted from max(commit, reconnect)
        # sync's own SQLite in memory: a file each (3 descriptors with WAL) would put 3,000
        # halls past this machine's limit of 20,000 open files per process
        self.state = SyncState(Path(":memory:") if memory_state else folder / f"{hid}.sync.db")
        self.outbox = Outbox(log.path)
        offline = wire.encode(telemetry.STATUS_OFFLINE)
        from hall.mqttvalues import Will

        s = settings
        self.link = CityLink(
            link_options(
                hid,
                s,
                folder,
                will=Will(wire.up(hid, "status"), offline),
                max_inflight=s.max_inflight_batches + 16,
            ),
            subscriptions=tuple(wire.hall_subscriptions(hid)),
        )
        self.uplink = Uplink(self.link, hid, s, now=lambda: rfc3339(time.time(), TZ))
        self.sender = EventSender(
            hid, self.outbox, self.state, self.uplink.events, s, on_progress=self._acked
        )
        self.view = CityView(hid, self.state, s, wall=time.time, tz=TZ)
        self.sender.on_cloud_status(self.view.cloud_online())
        self.city = CityMessages(hid, self.state, self.sender, self.view, Wake(lambda: None))
        self.m: Muxed = mux.add(self.link, self.sender.pump, self.due)
        self.sender.wake = Wake(lambda: mux.want(self.m))
        core = self.m.core
        core._handler = lambda msg: self.city.on_message(msg.topic, msg.payload, msg.retain)
        core._on_up = self._up
        core._on_down = self.sender.on_disconnected

    @property
    def head(self) -> int:
        return self.log.head

    def busy(self) -> bool:
        return bool(self.sender.inflight) or self.sender.acked < self.log.head

    def due(self, now: float) -> bool:
        """Whether a pump on the timer may do something: the window has room and there is
        more to send (the rate bucket may have refilled), or the oldest batch out is past its
        ack timeout. A hall waiting for acks with a full window is left alone (its acks wake
        it): pumping all of them 4 times a second was most of the loop's work at 3,000."""
        s = self.sender
        if s.inflight:
            if now - s.inflight[0].sent_at >= s.refusal.timeout(s.s.ack_timeout_s):
                return True
            if len(s.inflight) >= s.refusal.window(s.s.max_inflight_batches):
                return False
        return s.next_seq <= self.log.head

    def _up(self, session_present: bool) -> None:
        self.connects += 1
        self.up_at = time.monotonic()
        self.sender.on_connected()
        self.uplink.on_link_up(0, None)

    def _acked(self, a: int) -> None:
        now = time.monotonic()
        while self.live and self.live[0][0] <= a:
            _, at = self.live.popleft()
            self.latencies.append(now - at)
            self.since_up.append(now - max(at, self.up_at))

    def write_live(self, n: int) -> None:
        """The hub commits `n` events now (a live event: its latency is measured)."""
        first, last = self.log.append(n)
        now = time.monotonic()
        for seq in range(first, last + 1):
            self.live.append((seq, now))
        self.sender.wake.set()

    def close(self) -> None:
        self.outbox.close()
        self.state.close()
