"""Events up: the hall's log sent in seq order, done only when `events-ack` covers it.

The city stores in order only (contract v1.1), so the hall sends one stream in seq order:
first what the city has not acked (the *backlog*: what the log held at the connect; only
while cloud/status says online, at most `backlog_rate` events/s and
`backlog_inflight_batches` batches out), then, right behind it, what the hub commits
meanwhile (*live* events), at most `max_inflight_batches` batches out.

The city answers every batch with one ack, in the order the batches reached it. An ack A is
read against the oldest batch out, [f, l]:
- A >= l: stored; the batches it covers are done.
- A < l: not stored (a batch before it was lost, or it came past a gap): an answer, not
  silence. Go-back-N at once from A + 1, live events behind; the answers still due to
  batches sent before that moment (`stale`) are not read as new gaps.
- A above the highest seq the hall may have sent (`sent_bound`: this process, or the log's
  head when it started): the fault `ack_ahead`, never progress; the mark stays.
- A below the mark: an answer too (the city lost events, or an old ack came again): the
  mark goes back to A and everything after it is backlog again (the city acks again what it
  has: harmless).
No answer to the oldest batch out within the ack timeout (sync/acktimer.py: the measured
round trip, doubling after each timeout without progress): send again from the mark. A
reconnect sends everything not acked again. A broker that refuses our events: a slow retry
(`sync.refusal`). The mark is saved at most every 0.25 s; a batch is read from the log
outside the lock, so an ack never waits for one. Pure logic with an injected clock; the link
calls `on_*`, a thread calls `pump()` (`sync.sendloop`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hall.mqttvalues import Ack
from sync.acktimer import AckTimer
from sync.outbox import Batch, OutboxUnavailable
from sync.ratebucket import RateBucket
from sync.refusal import Refusal
from sync.senderports import AckStore, InFlight, OutboxPort, Publish
from sync.settings import SenderSettings

log = logging.getLogger(__name__)

SAVE_EVERY_S = 0.25


def _ignore(*_: Any) -> None:
    pass


class EventSender:
    def __init__(
        self,
        hall_id: str,
        outbox: OutboxPort,
        store: AckStore,
        publish: Publish,
        settings: SenderSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        require_cloud_online: bool = True,
        on_ack_ahead: Callable[[int, int], None] = _ignore,
        on_progress: Callable[[int], None] = _ignore,
        on_refused: Callable[[str], None] = _ignore,
        on_accepted: Callable[[], None] = _ignore,
    ) -> None:
        self.hall_id = hall_id
        self.outbox = outbox
        self.store = store
        self._publish = publish
        self.s = settings
        self._clock = clock
        self.require_cloud_online = require_cloud_online
        self._on_ack_ahead = on_ack_ahead
        self._on_progress = on_progress
        self.refusal = Refusal(
            settings.refused_retry_s, on_refused=on_refused, on_accepted=on_accepted
        )
        self._lock = threading.RLock()
        self.acked = store.acked
        self._saved = self.acked  # the mark as sync's SQLite has it
        self._saved_at = clock()
        self.connected = False
        self.cloud_online = False
        self._epoch = 0  # moves whenever next_seq is set other than by sending
        self._next_seq = self.acked + 1  # the next seq to send
        self.live_floor = self.acked + 1  # live from here on (the log's head + 1 at connect)
        self.sent_max = self.acked  # the highest seq this process has sent
        self.start_head: int | None = None  # the log's head when this process started
        self.inflight: deque[InFlight] = deque()  # out and not answered: [acked+1 … next_seq)
        self.stale = 0  # answers still to come for batches sent before the last go-back
        self.bucket = RateBucket(settings.backlog_rate, settings.batch_max_events, clock())
        self.timer = AckTimer(settings.ack_timeout_s)
        self.wake = threading.Event()
        self.stats = dict.fromkeys(
            ("batches", "events", "go_back", "timeouts", "ack_ahead", "city_behind"),
            0,
        )
        self._read_start_head()

    # --- what the link reports --------------------------------------------------------

    def on_connected(self) -> None:
        """Everything not acked is backlog; what the hub commits from now on is live."""
        with self._lock:
            top = self._top()
            self.connected = True
            self.inflight.clear()
            self.stale = 0
            self.next_seq = self.acked + 1
            self.live_floor = max(top, self.acked) + 1
        self.wake.set()

    def on_disconnected(self) -> None:
        with self._lock:
            self.connected = False
            self.inflight.clear()
            self._save(force=True)

    def on_cloud_status(self, online: bool) -> None:
        with self._lock:
            self.cloud_online = online
        self.wake.set()

    def on_ack(self, acked_through: int, rejected: list[dict[str, Any]] | None = None) -> None:
        a = acked_through
        with self._lock:
            bound = self.sent_bound
            if a > bound:
                self.stats["ack_ahead"] += 1
                log.warning(
                    "the city acks %d, above %d, the last event this hall has sent: ignored, "
                    "the hall keeps its mark %d (see `hall sync status`)",
                    a,
                    bound,
                    self.acked,
                )
                self._on_ack_ahead(a, bound)
                return
            if rejected:
                new = self.store.add_rejected(rejected)
                if new:
                    log.warning("the city rejected %d event(s); see `hall sync status`", new)
            stale = self.stale > 0
            self.stale = max(0, self.stale - 1)
            head = self.inflight[0] if self.inflight else None
            if a > self.acked:
                self._progress(a)
            elif a < self.acked:  # the city lost events, or an old ack came again: resend
                self.stats["city_behind"] += 1
                log.warning("the city acks %d, below %d it had acked: sending again", a, self.acked)
                self.acked = a
                self._save(force=True)
                self.live_floor = max(self.live_floor, self.next_seq)  # all of it is backlog
                self._go_back(max(0, len(self.inflight) - 1), "city_behind")
            elif not stale and head is not None and a < head.last:
                # the oldest batch out was answered without being stored
                self.stats["go_back"] += 1
                self._go_back(len(self.inflight) - 1, "gap")
        self.wake.set()

    def rewind_to(self, from_seq: int, why: str = "command") -> None:
        """Send again from `from_seq` (the city's resend_events command)."""
        with self._lock:
            self.live_floor = max(self.live_floor, self.next_seq)
            self.next_seq = max(1, min(from_seq, self.acked + 1))
            self.stale = len(self.inflight)
            self.inflight.clear()
            log.info("sending events again from %d (%s)", self.next_seq, why)
        self.wake.set()

    @property
    def next_seq(self) -> int:
        return self._next_seq

    @next_seq.setter
    def next_seq(self, value: int) -> None:
        self._next_seq = value
        self._epoch += 1  # a batch built meanwhile (outside the lock) is not sent

    @property
    def sent_bound(self) -> int:
        """The highest seq the hall may have sent: an ack above it is a fault."""
        return max(self.sent_max, self.start_head or 0, self.acked)

    # --- internals --------------------------------------------------------------------

    def _top(self) -> int:
        try:
            top = self.outbox.max_seq()
        except OutboxUnavailable as exc:
            log.warning("cannot read the hall's event log: %s", exc)
            return self.acked
        if self.start_head is None:
            self._started(top)
        return top

    def _read_start_head(self) -> None:
        try:
            top = self.outbox.max_seq()
        except OutboxUnavailable:
            return  # read at the first connect
        self._started(top)

    def _started(self, top: int) -> None:
        """The log's head when this process started. A mark above it means the hall's log
        lost events the city had acked (a hall database restored without sync's): the same
        fault as an ack above what was sent; the hall's own mark is its log's head."""
        self.start_head = top
        if self.acked > top:
            self.stats["ack_ahead"] += 1
            log.warning(
                "the city acked %d, but the hall's log ends at %d (a restored database?): "
                "the mark goes back to %d",
                self.acked,
                top,
                top,
            )
            self._on_ack_ahead(self.acked, top)
            self.acked = top
            self._save(force=True)
            self.sent_max = top
            self.next_seq = self.live_floor = top + 1

    def _save(self, *, force: bool = False) -> None:
        """Remember the mark in sync's SQLite: at once when it goes down, at most every
        `SAVE_EVERY_S` when it goes up (each save is an fsync; a mark saved late only means
        that a restart sends a few events again, which the city acks again)."""
        if self.acked == self._saved:
            return
        now = self._clock()
        if force or now - self._saved_at >= SAVE_EVERY_S:
            self.store.set_acked(self.acked)
            self._saved, self._saved_at = self.acked, now

    def flush(self) -> None:
        """Save the mark now (on stop, and when the link goes down)."""
        with self._lock:
            self._save(force=True)

    def _progress(self, a: int) -> None:
        self.acked = a
        self._save()
        self.refusal.accepted()
        self.timer.progressed()
        if self.inflight and self.inflight[0].last <= a and self.stale == 0:
            self.timer.sample(self._clock() - self.inflight[0].sent_at)
        while self.inflight and self.inflight[0].last <= a:
            self.inflight.popleft()
        if self.next_seq <= a:
            self.next_seq = a + 1
            self.inflight.clear()
        self._on_progress(a)

    def _go_back(self, stale: int, why: str) -> None:
        """Send again from the mark; `stale` answers to batches out now are still to come."""
        log.info("sending events again from %d (%s)", self.acked + 1, why)
        self.stale = stale
        self.inflight.clear()
        self.next_seq = self.acked + 1

    def _check_pubacks(self, now: float) -> None:
        """A PUBACK with a failure reason code: the broker refused our events."""
        for b in self.inflight:
            ack = b.puback
            if ack is None or not ack.done or ack.lost:
                continue
            b.puback = None
            if not ack.failed:
                self.refusal.accepted()
                continue
            self.inflight.clear()
            self.stale = 0
            self.next_seq = self.acked + 1
            self.refusal.refused(ack.reason, now)
            return

    @property
    def ack_timeout(self) -> float:
        """The wait for the oldest batch's ack before sending again (sync/acktimer.py)."""
        return self.timer.timeout

    def _check_timeouts(self, now: float) -> None:
        if not self.inflight:
            return
        limit = self.refusal.timeout(self.ack_timeout)
        if now - self.inflight[0].sent_at >= limit:
            self.stats["timeouts"] += 1
            self.timer.expired()
            self.stale = len(self.inflight)
            log.info("no events-ack for %.0f s: sending again from %d", limit, self.acked + 1)
            self.inflight.clear()
            self.next_seq = self.acked + 1

    def _may_send(self, top: int, now: float) -> tuple[bool, int]:
        """Whether the next batch may go now, and the last seq it may hold."""
        if len(self.inflight) >= self.refusal.window(self.s.max_inflight_batches):
            return False, 0
        if self.next_seq > top:
            return False, 0
        if self.next_seq >= self.live_floor:
            return True, top
        if self.require_cloud_online and not self.cloud_online:
            return False, 0
        backlog_out = sum(1 for b in self.inflight if b.backlog)
        if backlog_out >= self.s.backlog_inflight_batches:
            return False, 0
        want = min(self.s.batch_max_events, self.live_floor - self.next_seq)
        may = self.bucket.allows(want, now)
        return may > 0, self.next_seq + may - 1

    def _record(self, b: Batch, now: float) -> bool:
        """Publish a batch built for `next_seq` and remember it as out."""
        sent = self._publish(b.data)
        if sent is False or sent is None:
            return False
        backlog = b.first < self.live_floor
        puback = sent if isinstance(sent, Ack) else None
        self.inflight.append(InFlight(b.first, b.last, now, backlog, puback))
        self._next_seq = b.last + 1
        self.sent_max = max(self.sent_max, b.last)
        if backlog:
            self.bucket.spend(b.count)
        self.stats["batches"] += 1
        self.stats["events"] += b.count
        return True

    def _next_batch(self) -> tuple[int, int, int, float] | None:
        """Under the lock: what the next batch may hold (first, last), the epoch it was
        decided in and the time; None when nothing may go now."""
        if not self.connected:
            return None
        now = self._clock()
        self._save()
        self._check_pubacks(now)
        if self.refusal.holding(now):
            return None
        self._check_timeouts(now)
        ok, last = self._may_send(self.outbox.max_seq(), now)
        return (self._next_seq, last, self._epoch, now) if ok else None

    # --- the sender thread's step -----------------------------------------------------

    def pump(self) -> bool:
        """Send what the window, the backlog's bounds and the rate allow. True when something
        was sent. A batch is read from the hall's log outside the lock, so that the city's
        acks (on the link's network thread, which also writes our batches to the socket)
        never wait for it; one built while an ack moved `next_seq` is dropped and decided
        again."""
        sent = False
        while True:
            with self._lock:
                plan = self._next_batch()
            if plan is None:
                return sent
            first, last, epoch, now = plan
            b = self.outbox.batch(
                self.hall_id,
                first,
                last,
                max_events=self.s.batch_max_events,
                max_bytes=self.s.batch_max_bytes,
            )
            if b is None:
                return sent
            with self._lock:
                if epoch != self._epoch or first != self._next_seq or not self.connected:
                    continue
                if not self._record(b, now):
                    return sent
            sent = True

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
                "sent_max": self.sent_max,
                "inflight": len(self.inflight),
                "connected": self.connected,
                "cloud_online": self.cloud_online,
                "refused": self.refusal.reason,
                "refusals": self.refusal.count,
                **self.stats,
            }
