"""Hall time: wall clocks are not trusted.

Boards without a battery clock boot in 1970, NTP can jump the clock either way. The hall's
time (`HallClock.now`) therefore never goes backwards: when the wall clock is behind the
last time the hall recorded, or implausible, the hall counts on from that last time with
the monotonic clock. Ordering never uses time at all: it uses `seq`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

# No hall ran this software before this moment: an earlier wall clock is not set.
PLAUSIBLE_FLOOR = datetime(2025, 1, 1, tzinfo=UTC).timestamp()


class Clock(Protocol):
    """A source of wall time and monotonic time, both in seconds."""

    def wall(self) -> float: ...

    def monotonic(self) -> float: ...


@dataclass(slots=True)
class FixedClock:
    """A clock the caller moves: for tests, simulations and the demo."""

    t: float
    mono: float = 1000.0

    def wall(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """Move the wall clock only, as NTP or a dead battery would."""
        self.t += seconds


@dataclass(frozen=True, slots=True)
class Reading:
    ts: float  # hall time, epoch seconds
    trusted: bool  # False when the wall clock was behind or implausible


class HallClock:
    """Turns (possibly wrong) wall readings into hall time that never goes backwards."""

    def __init__(self, clock: Clock, last_ts: float = 0.0) -> None:
        self._clock = clock
        self._anchor_ts = last_ts
        self._anchor_mono = clock.monotonic()

    def observe(self, ts: float) -> None:
        """Tell the clock a time the hall has recorded (the newest event's)."""
        if ts > self._anchor_ts:
            self._anchor_ts = ts
            self._anchor_mono = self._clock.monotonic()

    def read(self) -> Reading:
        wall = self._clock.wall()
        counted = self._anchor_ts + max(0.0, self._clock.monotonic() - self._anchor_mono)
        if wall >= PLAUSIBLE_FLOOR and wall >= self._anchor_ts:
            return Reading(wall, True)
        if self._anchor_ts == 0.0:
            return Reading(wall, False)
        return Reading(counted, False)


_last_local: tuple[float, ZoneInfo, datetime] | None = None


def local(ts: float, tz: ZoneInfo) -> datetime:
    # One command asks for the same instant several times (its day, the opening hours,
    # the event's timestamp): remember the last answer. datetimes are immutable.
    global _last_local
    last = _last_local
    if last is not None and last[0] == ts and last[1] is tz:
        return last[2]
    dt = datetime.fromtimestamp(ts, tz)
    _last_local = (ts, tz, dt)
    return dt


def business_day(ts: float, tz: ZoneInfo) -> date:
    return local(ts, tz).date()


def rfc3339(ts: float, tz: ZoneInfo) -> str:
    """2026-11-27T09:01:02.123+08:00"""
    return local(ts, tz).isoformat(timespec="milliseconds")


def at_local(day: date, hhmm: str | datetime, tz: ZoneInfo) -> float:
    """Epoch seconds of a local wall time on a day."""
    t = hhmm.time() if isinstance(hhmm, datetime) else datetime.strptime(hhmm, "%H:%M").time()
    return datetime.combine(day, t, tz).timestamp()


def minutes(seconds: float) -> float:
    return seconds / 60.0
