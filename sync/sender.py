"""Events up: the hall's log sent in batches, done only when `events-ack` covers them.

Two lanes share the one `{h}/up/events` topic:
- the **backlog** lane sends `[next_seq, live_floor)` in seq order, only while the city says
  it is online, at most `backlog_rate` events per second;
- the **live** lane sends events from `live_floor` on as soon as the hub commits them, so
  what happens now reaches the city ahead of an outage's backlog. The city stores every
  event it receives whatever the order ((hall_id, seq) unique) and acks the contiguous
  prefix, so a live batch past the prefix is answered with the prefix (a "gap reply").
When nothing is behind, `next_seq == live_floor` and the live lane is the one in-order lane.

What the city's acks mean here (the contract's gaps and resends):
- `acked_through` above what we hold: progress, remembered in sync's SQLite;
- below what we hold: the city lost events; send again from there;
- equal, while the batch right after it has been out longer than `gap_grace`: a gap reply
  for a lost batch; send again from there (once per value, until progress);
- no progress for `ack_timeout` on the oldest batch in flight: send again from the ack.
A reconnect sends everything not acked again (the broker's PUBACK says nothing).
Pure logic with an injected clock; the link calls `on_*`, a thread calls `pump()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sync.outbox import Batch, OutboxUnavailable
from sync.settings import SenderSettings

log = logging.getLogger(__name__)


class OutboxPort(Protocol):
    def max_seq(self) -> int: ...

    def batch(
        self, hall_id: str, first: int, last: int, *, max_events: int, max_bytes: int
    ) -> Batch | None: ...


class AckStore(Protocol):
    @property
    def acked(self) -> int: ...

    def set_acked(self, value: int) -> None: ...

    def add_rejected(self, items: list[dict[str, Any]]) -> int: ...


@dataclass(slots=True)
class InFlight:
    first: int
    last: int
    sent_at: float
    ooo: bool  # sent past a backlog still pending: its answer is a gap reply
    backlog: bool = False


class EventSender:
    def __init__(
        self,
        hall_id: str,
        outbox: OutboxPort,
        store: AckStore,
        publish: Callable[[bytes], bool],
        settings: SenderSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        gap_grace: float = 1.0,
        require_cloud_online: bool = True,
    ) -> None:
        self.hall_id = hall_id
        self.outbox = outbox
        self.store = store
        self._publish = publish
        self.s = settings
        self._clock = clock
        self.gap_grace = gap_grace
        self.require_cloud_online = require_cloud_online
        self._lock = threading.RLock()
        self.acked = store.acked
        self.connected = False
        self.cloud_online = False
        self.next_seq = self.acked + 1
        self.live_floor = self.acked + 1
        self.live_next = self.acked + 1
        self.inflight: deque[InFlight] = deque()
        self.rewound_at: int | None = None
        self._tokens = float(settings.batch_max_events)
        self._tokens_at = clock()
        self._progress_at = clock()
        self.wake = threading.Event()
        self.stats = {"batches": 0, "events": 0, "rewinds": 0, "gap_replies": 0, "timeouts": 0}

    # --- what the link reports ------------------------------------------------------------

    def on_connected(self) -> None:
        """Everything not acked is backlog; what the hub commits from now on goes live."""
        with self._lock:
            try:
                top = self.outbox.max_seq()
            except OutboxUnavailable as exc:
                log.warning("cannot read the hall's event log: %s", exc)
                top = self.acked
            self.connected = True
            self.inflight.clear()
            self.next_seq = self.acked + 1
            self.live_next = max(top, self.acked) + 1
            self.live_floor = self.live_next
            self.rewound_at = None
            self._progress_at = self._clock()
        self.wake.set()

    def on_disconnected(self) -> None:
        with self._lock:
            self.connected = False
            self.inflight.clear()

    def on_cloud_status(self, online: bool) -> None:
        with self._lock:
            self.cloud_online = online
        self.wake.set()

    def on_ack(self, acked_through: int, rejected: list[dict[str, Any]] | None = None) -> None:
        if rejected:
            new = self.store.add_rejected(rejected)
            if new:
                log.warning("the city rejected %d event(s); see `hall sync status`", new)
        with self._lock:
            a = acked_through
            if a > self.acked:
                self._progress(a)
            elif a < self.acked:
                log.warning("the city acks %d, below %d it had acked: sending again", a, self.acked)
                self.store.set_acked(a)
                self.acked = a
                self._rewind(a + 1, "city_behind")
            else:
                self._duplicate(a)
        self.wake.set()

    def rewind_to(self, from_seq: int, why: str = "command") -> None:
        """Send again from `from_seq` (the city's resend_events command)."""
        with self._lock:
            self._rewind(max(1, from_seq), why)
        self.wake.set()

    # --- internals ------------------------------------------------------------------------

    def _progress(self, a: int) -> None:
        self.store.set_acked(a)
        self.acked = a
        self.rewound_at = None
        self._progress_at = self._clock()
        while self.inflight and self.inflight[0].last <= a:
            self.inflight.popleft()
        self.inflight = deque(b for b in self.inflight if b.last > a)
        self.next_seq = max(self.next_seq, a + 1)
        self.live_next = max(self.live_next, a + 1)
        self.live_floor = max(self.live_floor, min(self.next_seq, self.live_next))
        if self.next_seq >= self.live_floor:
            self.next_seq = self.live_floor = max(self.next_seq, self.live_floor)

    def _duplicate(self, a: int) -> None:
        ooo = next((b for b in self.inflight if b.ooo), None)
        if ooo is not None:
            self.inflight.remove(ooo)  # the expected answer to a live batch past the backlog
            return
        head = next((b for b in self.inflight if b.first == a + 1), None)
        if head is None or self.rewound_at == a:
            return
        if self._clock() - head.sent_at >= self.gap_grace:
            self.stats["gap_replies"] += 1
            self._rewind(a + 1, "gap_reply")

    def _rewind(self, r: int, why: str) -> None:
        self.stats["rewinds"] += 1
        log.info("sending events again from %d (%s)", r, why)
        self.inflight.clear()
        self.live_floor = max(self.live_floor, self.live_next)
        self.next_seq = min(r, self.live_floor)
        self.rewound_at = r - 1
        self._progress_at = self._clock()

    def _check_timeouts(self, now: float) -> None:
        fresh: deque[InFlight] = deque()
        for b in self.inflight:
            if now - b.sent_at < self.s.ack_timeout_s:
                fresh.append(b)
            elif not b.ooo and b.first <= self.acked + 1:
                self.stats["timeouts"] += 1
                self._rewind(self.acked + 1, "ack_timeout")
                return
        self.inflight = fresh  # live batches whose gap reply never came leave the window
        # Something sent is not acked, nothing in flight carries the next seq and the backlog
        # lane will not send it (a live batch was lost, then the lanes merged): send again.
        head = self.acked + 1
        if (
            head < self.live_next
            and now - self._progress_at >= self.s.ack_timeout_s
            and (self.cloud_online or not self.require_cloud_online)
            and not (self.next_seq <= head < self.live_floor)
            and not any(b.first <= head <= b.last for b in self.inflight)
        ):
            self.stats["timeouts"] += 1
            self._rewind(head, "no_progress")

    def _refill(self, now: float) -> None:
        rate = self.s.backlog_rate
        if rate <= 0:
            return
        cap = max(float(self.s.batch_max_events), float(rate))
        self._tokens = min(cap, self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now

    def _send(
        self, first: int, last: int, ooo: bool, now: float, backlog: bool = False
    ) -> Batch | None:
        b = self.outbox.batch(
            self.hall_id,
            first,
            last,
            max_events=self.s.batch_max_events,
            max_bytes=self.s.batch_max_bytes,
        )
        if b is None:
            return None
        if not self._publish(b.data):
            return None
        self.inflight.append(InFlight(b.first, b.last, now, ooo, backlog))
        self.stats["batches"] += 1
        self.stats["events"] += b.count
        return b

    def _backlog_room(self) -> bool:
        if len(self.inflight) >= self.s.max_inflight_batches:
            return False
        return sum(1 for b in self.inflight if b.backlog) < self.s.backlog_inflight_batches

    # --- the sender thread's step ---------------------------------------------------------

    def pump(self) -> bool:
        """Send what the window, the lanes and the rate allow. True when something was sent."""
        with self._lock:
            if not self.connected:
                return False
            now = self._clock()
            self._check_timeouts(now)
            top = self.outbox.max_seq()
            sent = False
            while len(self.inflight) < self.s.max_inflight_batches and self.live_next <= top:
                backlog = self.next_seq < self.live_floor
                b = self._send(self.live_next, top, backlog, now)
                if b is None:
                    return sent
                self.live_next = b.last + 1
                if not backlog:
                    self.next_seq = self.live_floor = self.live_next
                sent = True
            if self.require_cloud_online and not self.cloud_online:
                return sent
            self._refill(now)
            while self._backlog_room() and self.next_seq < self.live_floor:
                want = min(self.s.batch_max_events, self.live_floor - self.next_seq)
                last = self.live_floor - 1
                if self.s.backlog_rate > 0:
                    if self._tokens < want:
                        return sent
                    last = min(last, self.next_seq + want - 1)
                b = self._send(self.next_seq, last, False, now, backlog=True)
                if b is None:
                    return sent
                if self.s.backlog_rate > 0:
                    self._tokens -= b.count
                self.next_seq = b.last + 1
                sent = True
            return sent

    def backlog(self) -> int:
        """Events not yet acked by the city."""
        with self._lock:
            try:
                return max(0, self.outbox.max_seq() - self.acked)
            except Exception:  # a status figure, never fatal
                return -1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "acked": self.acked,
                "next_seq": self.next_seq,
                "live_floor": self.live_floor,
                "live_next": self.live_next,
                "inflight": len(self.inflight),
                "connected": self.connected,
                "cloud_online": self.cloud_online,
                **self.stats,
            }


class SenderLoop:
    """The sender's thread: `pump()` until nothing more may go, then wait for the sender's
    `wake` (an ack, a connect, the city online) or the poll interval (new events)."""

    name = "sync-sender"

    def __init__(self, sender: EventSender, settings: SenderSettings, stop: threading.Event):
        self.sender = sender
        self.s = settings
        self.wake = sender.wake
        self._stop = stop

    def run(self) -> None:
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
                self.wake.wait(self.s.poll_interval_s)
                self.wake.clear()
