"""The city broker's refusal of our events, and the slow retry it calls for.

A PUBACK with a failure reason code (MQTT 5: "Not authorized" when the certificate is another
hall's, so the ACL knows us by another name) means nothing we send gets through. The sender
then holds everything for `retry_s` and tries one batch at a time until a PUBACK says success
(or the city acks something). `slow` puts it in that mode from the start, for a fault known
before connecting (a certificate whose CN is not the hall id); under MQTT 3.1.1, where a
refused publish looks accepted, that is all there is to go by.
Pure state with the caller's clock; the sender holds its lock around every call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def _ignore(*_: object) -> None:
    pass


class Refusal:
    def __init__(
        self,
        retry_s: float,
        *,
        on_refused: Callable[[str], None] = _ignore,
        on_accepted: Callable[[], None] = _ignore,
    ) -> None:
        self.retry_s = retry_s
        self._on_refused = on_refused
        self._on_accepted = on_accepted
        self.slow = False  # a fault known at start: try slowly
        self.reason = ""  # the broker's refusal of our last batch ("" when none)
        self.hold_until = 0.0  # nothing is sent before then
        self.count = 0
        self._accepted_once = False  # the broker took our events since this process started

    @property
    def active(self) -> bool:
        return self.slow or bool(self.reason)

    def window(self, full: int) -> int:
        """Batches out at once: one while refused or slow."""
        return 1 if self.active else full

    def timeout(self, ack_timeout: float) -> float:
        """How long the oldest batch out waits for an answer before it is sent again."""
        return max(ack_timeout, self.retry_s) if self.active else ack_timeout

    def holding(self, now: float) -> bool:
        return now < self.hold_until

    def refused(self, reason: str, now: float) -> None:
        self.count += 1
        self.reason = reason
        self.hold_until = now + self.retry_s
        log.warning(
            "the city broker refused our events (%s): trying again in %.0f s", reason, self.retry_s
        )
        self._on_refused(reason)

    def accepted(self) -> None:
        """The broker took our events (a PUBACK said success, or the city acked them): a
        refusal recorded before, by this run or the last, is over."""
        if self.reason or not self._accepted_once:
            if self.reason:
                log.info("the city broker takes our events again")
            self.reason = ""
            self._accepted_once = True
            self._on_accepted()
