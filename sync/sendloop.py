"""The event sender's thread (`sync.sender.EventSender`)."""

from __future__ import annotations

import logging
import threading

from sync.outbox import OutboxUnavailable
from sync.sender import EventSender
from sync.settings import SenderSettings

log = logging.getLogger(__name__)


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
