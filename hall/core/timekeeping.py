"""Hall time: wall clocks are not trusted (rule 7 of the design).

Boards without a battery clock boot in 1970, NTP can jump the clock either way, a flat RTC
battery or a wrong manual setting can push it a year ahead. The hall's time therefore never
goes backwards, and a wall reading is trusted only when it is plausible:
- not before the software was built (`PLAUSIBLE_FLOOR`): an earlier clock is not set;
- not behind the last time the hall recorded (the hall counts on from there instead, with
  the monotonic clock);
- not more than `MAX_UNSYNCED_GAP` past the last time the hall recorded, unless the kernel
  says the clock is synchronised (NTP): a hall closed over a long holiday opens on its
  battery clock, but a jump of months on an unsynchronised clock is a broken clock.
An untrusted reading never closes a day or opens one (`clock_not_set` until the clock is
fixed), so a wrong clock can neither cancel a day's queue nor number tickets on a day that
is not today. Ordering never uses time at all: it uses `seq`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

# This software was built after this moment: an earlier wall clock is not set.
BUILD_DATE = date(2026, 11, 1)
PLAUSIBLE_FLOOR = datetime(
    BUILD_DATE.year, BUILD_DATE.month, BUILD_DATE.day, tzinfo=UTC
).timestamp()
# An unsynchronised wall clock this far past the hall's last event is not believed.
MAX_UNSYNCED_GAP = 30 * 86400.0


class Clock(Protocol):
    """A source of wall time and monotonic time, both in seconds, and of whether the
    kernel says the wall clock is synchronised (None: cannot tell)."""

    def wall(self) -> float: ...

    def monotonic(self) -> float: ...

    def synchronized(self) -> bool | None: ...


@dataclass(slots=True)
class FixedClock:
    """A clock the caller moves: for tests, simulations and the demo."""

    t: float
    mono: float = 1000.0
    synced: bool | None = None  # what the kernel would say of NTP

    def wall(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    def synchronized(self) -> bool | None:
        return self.synced

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
    why: str = ""  # why not trusted: not_set, counting, behind, jumped (see `judge`)


def judge(wall: float, last_ts: float, synchronized: Callable[[], bool | None]) -> str:
    """ "" when a wall reading may be believed, else why not (see the module's docstring)."""
    if wall < PLAUSIBLE_FLOOR:
        return "not_set"
    if wall < last_ts:
        return "behind"
    if last_ts > 0.0 and wall - last_ts > MAX_UNSYNCED_GAP and synchronized() is not True:
        return "jumped"
    return ""


class HallClock:
    """Turns (possibly wrong) wall readings into hall time that never goes backwards."""

    def __init__(self, clock: Clock, last_ts: float = 0.0) -> None:
        self._clock = clock
        self._anchor_ts = last_ts
        self._anchor_mono = clock.monotonic()
        self._live = False  # a trusted reading was seen since this process started

    def observe(self, ts: float) -> None:
        """Tell the clock a time the hall has recorded (the newest event's)."""
        if ts > self._anchor_ts:
            self._anchor_ts = ts
            self._anchor_mono = self._clock.monotonic()

    def read(self) -> Reading:
        wall = self._clock.wall()
        why = judge(wall, self._anchor_ts, self._clock.synchronized)
        if not why:
            self._live = True
            return Reading(wall, True)
        if self._anchor_ts == 0.0:
            return Reading(wall, False, why)
        if why == "not_set" and self._live:
            # The clock died while this process ran: the monotonic clock counted on from a
            # time it trusted, so the open day can go on. After a restart it cannot know
            # how long the box was off, and "not_set" stops the issuing.
            why = "counting"
        counted = self._anchor_ts + max(0.0, self._clock.monotonic() - self._anchor_mono)
        return Reading(counted, False, why)


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
