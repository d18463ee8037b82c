"""云叫号, hall → city: the hub's live progress of tracked tickets (`hall/v1/event/progress`)
as the city's `ticket-progress` (contract v1.1), one message per ticket:

- at once on every change of state (`status`, `arrived`, the `counter` that called it): the
  first message of a ticket, its call with the counter, its end (done, cancelled, no_show);
- at once, the first time the ticket is `approaching` (within the hall's reminder
  threshold: 即将到号);
- when only `waiting_ahead` changed: at most once every `min_interval_s` (30 s) a ticket;
  a change inside the window is held and the latest one goes out when the window ends
  (`flush`, on the relay's own thread), so the phone never keeps a stale place;
- a change of the estimate alone is not sent (it rides with the next message).
Nothing personal is sent: each message is made field by field from the hub's entry, which
carries no name, phone tail or id hash. A message the link could not take is sent again by
`flush` (the latest state only). The clock is injectable (tests, the simulated demo day).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hall.bus.interface import Message
from hall.hubapi.validate import problems

log = logging.getLogger(__name__)

FIELDS = (
    "ticket_id",
    "number",
    "status",
    "arrived",
    "waiting_ahead",
    "est_wait_min",
    "counter",
    "approaching",
)
MIN_INTERVAL_S = 30.0
FLUSH_EVERY_S = 0.5
KEEP_DONE_S = 86400.0
FINAL = frozenset({"done", "cancelled", "no_show"})

Publish = Callable[[dict[str, Any]], bool]  # a ticket-progress payload → taken by the link


@dataclass
class _Track:
    """One ticket as the city last heard of it, and what is held back."""

    sent: dict[str, Any] | None = None
    sent_at: float = 0.0
    reminded: bool = False
    held: tuple[dict[str, Any], str] | None = None  # latest entry not sent yet, and its `at`
    retry: bool = False  # the link did not take the last one: send `held` at once
    latest: tuple[dict[str, Any], str] | None = None


def progress_message(entry: dict[str, Any], at: str) -> dict[str, Any]:
    """The contract's `ticket-progress`, field by field (never anything else)."""
    return {"v": 1, **{k: entry[k] for k in FIELDS}, "at": at}


class ProgressRelay:
    def __init__(
        self,
        publish: Publish,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self._publish = publish
        self._clock = clock
        self.min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}
        self.stats: Counter[str] = Counter()

    # --- in: the hub's progress --------------------------------------------------------

    def on_message(self, msg: Message) -> None:
        """A `hall/v1/event/progress` from the hub (on the bus's delivery thread)."""
        bad = problems("progress", msg.payload)
        if bad:
            self.stats["invalid"] += 1
            log.warning("ignored an invalid progress message from the hub: %s", "; ".join(bad[:3]))
            return
        at = str(msg.payload["at"])
        for entry in msg.payload["tickets"]:
            self.offer(entry, at)

    def offer(self, entry: dict[str, Any], at: str) -> None:
        """One ticket's new progress: sent now, held for the rate limit, or folded."""
        with self._lock:
            tr = self._tracks.setdefault(str(entry["ticket_id"]), _Track())
            tr.latest = (entry, at)
            reason = self._urgent(tr, entry)
            if reason:
                self._send(tr, entry, at, reason)
            elif tr.sent is not None and entry["waiting_ahead"] != tr.sent["waiting_ahead"]:
                if self._clock() - tr.sent_at >= self.min_interval_s:
                    self._send(tr, entry, at, "ahead")
                else:
                    tr.held = (entry, at)
                    self.stats["held"] += 1
            elif tr.held is not None:
                tr.held = (entry, at)  # the newest estimate goes with the held place

    @staticmethod
    def _urgent(tr: _Track, entry: dict[str, Any]) -> str:
        last = tr.sent
        if last is None:
            return "first"
        if entry["status"] != last["status"] or entry["arrived"] != last["arrived"]:
            return "state"
        if entry["counter"] != last["counter"]:
            return "state"
        if entry["approaching"] and not tr.reminded:
            return "approaching"
        return ""

    # --- out ---------------------------------------------------------------------------

    def _send(self, tr: _Track, entry: dict[str, Any], at: str, reason: str) -> None:
        if self._publish(progress_message(entry, at)):
            tr.sent, tr.sent_at, tr.held, tr.retry = entry, self._clock(), None, False
            if entry["approaching"] and not tr.reminded:
                tr.reminded = True
                self.stats["reminders"] += 1
            self.stats["sent"] += 1
            self.stats[f"sent_{reason}"] += 1
        else:
            tr.held, tr.retry = (entry, at), True
            self.stats["unsent"] += 1

    def flush(self) -> None:
        """Send what the rate limit held once its window ended, and what the link did not
        take; forget finished tickets after a day."""
        now = self._clock()
        with self._lock:
            for tid, tr in list(self._tracks.items()):
                if tr.held is not None and (tr.retry or now - tr.sent_at >= self.min_interval_s):
                    entry, at = tr.held
                    self._send(tr, entry, at, "retry" if tr.retry else "ahead")
                elif (
                    tr.held is None
                    and tr.sent is not None
                    and tr.sent["status"] in FINAL
                    and now - tr.sent_at > KEEP_DONE_S
                ):
                    del self._tracks[tid]

    def resend(self, ticket_id: str) -> bool:
        """Send a ticket's latest progress now (a new watcher of a followed ticket)."""
        with self._lock:
            tr = self._tracks.get(ticket_id)
            if tr is None or tr.latest is None:
                return False
            entry, at = tr.latest
            self._send(tr, entry, at, "watch")
            return True

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"tickets": len(self._tracks), **dict(self.stats)}


class ProgressLoop:
    """The relay's thread: `flush` every half second until `stop`."""

    name = "sync-progress"

    def __init__(self, relay: ProgressRelay, stop: threading.Event) -> None:
        self.relay = relay
        self._stop = stop

    def run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            try:
                self.relay.flush()
            except Exception:
                log.exception("sending held ticket progress failed")
