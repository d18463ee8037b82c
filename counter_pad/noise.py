"""Line trouble counted always and logged at a sane rate.

A noisy RS-485 line (a missing terminator, a loose shield, a second master, a pad at an
address nobody configured) can produce hundreds of bad frames a second; one log line each
would bury the journal. :class:`NoiseLog` counts every occurrence (the master's ``stats``,
reported in health and `hall doctor`), logs the first of each kind at once, and after that
at most one summary per ``interval`` of what came since: "bus b1 in the last 60 s: 12 bad
CRCs, 340 bytes of noise, 3 frames from unconfigured addresses (17)".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

WORDS: dict[str, str] = {
    "bad_crc": "frames with a bad CRC",
    "noise_bytes": "bytes of noise",
    "stray_frames": "stray frames",
    "foreign_frames": "frames from unconfigured addresses",
    "bad_replies": "replies that do not decode",
    "busy": "busy answers (NAK 3)",
    "nak": "refusals (NAK)",
    "overflow": "replies saying events were lost (store full)",
    "refused_keys": "unusable keys",
    "ignored_keys": "keys of the wrong kind of device",
    "unconfigured_presses": "presses from unconfigured devices",
    "bad_checksum": "frames with a bad checksum",
}


class NoiseLog:
    def __init__(
        self,
        where: str,
        stats: Counter[str],
        log: logging.Logger,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.stats = stats
        self.log = log
        self.interval = interval
        self.clock = clock
        self.logged = 0  # log lines written (for tests)
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._details: dict[str, set[str]] = {}
        self._last_summary = clock()

    def note(self, kind: str, n: int = 1, detail: str = "") -> None:
        """Count `n` of `kind` (with an optional detail, e.g. the address); log the first
        of a kind at once and the rest in the next summary."""
        if n <= 0:
            return
        with self._lock:
            first = self.stats[kind] == 0
            self.stats[kind] += n
            if first:
                line = f"{self.where}: {WORDS.get(kind, kind)}" + (f" ({detail})" if detail else "")
                self._emit(line + f"; further ones are summed up every {self.interval:g} s")
                return
            self._pending[kind] += n
            if detail:
                self._details.setdefault(kind, set()).add(detail)
            if self.clock() - self._last_summary >= self.interval:
                self._summary()

    def flush(self) -> None:
        """Write the summary now if anything is pending and the interval has passed."""
        with self._lock:
            if self._pending and self.clock() - self._last_summary >= self.interval:
                self._summary()

    def _summary(self) -> None:
        parts = []
        for kind, count in sorted(self._pending.items()):
            detail = sorted(self._details.get(kind, ()))
            more = f" ({', '.join(detail[:8])}{', …' if len(detail) > 8 else ''})" if detail else ""
            parts.append(f"{count} {WORDS.get(kind, kind)}{more}")
        seconds = self.clock() - self._last_summary
        self._emit(f"{self.where} in the last {seconds:.0f} s: " + "; ".join(parts))
        self._pending.clear()
        self._details.clear()
        self._last_summary = self.clock()

    def _emit(self, line: str) -> None:
        self.logged += 1
        self.log.warning("%s", line)
