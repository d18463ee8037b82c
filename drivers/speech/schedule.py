"""The announcement queue's rules, pure: order, merging, backlog shortening, volume, quiet.

No threads, no audio, no clock of its own: `drivers.speech.announcer` runs these rules on a
worker thread and passes the time of day in.

- Calls queue in arrival order; nothing is dropped.
- A call or recall of a ticket that is already waiting merges with it: it keeps its place,
  takes the newest counter (a transfer) and is marked a recall if either was.
- While more than `backlog_limit` calls wait, announcements are shortened: the head call
  takes along the following waiting calls for the same counter (up to `max_group` numbers)
  into one sentence without "办理" ("请 A012、A013 号到 3 号窗口"), spoken
  `backlog_repeats` times instead of `repeats`.
- Volume by time of day: `VolumeStep`s; the last step that started at or before the time
  holds, wrapping round midnight.
- Quiet hours: the mode ``chime`` (the default) plays the chime alone, at the volume of the
  hour, so people who are waiting still look at the screen, which shows the call; ``silent``
  plays nothing. We chose chime-only as the default because a silent call is easily missed,
  and a short ding-dong disturbs far less than a sentence spoken twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from typing import Literal

from .text import Call, Phrase, backlog_phrase, call_phrase, normalize_ticket

QuietMode = Literal["chime", "silent"]


@dataclass(frozen=True)
class VolumeStep:
    start: time
    volume: float  # 0..1

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume: {self.volume} is outside 0..1")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time  # exclusive; an end before the start wraps past midnight
    mode: QuietMode = "chime"

    def __post_init__(self) -> None:
        if self.mode not in ("chime", "silent"):
            raise ValueError(f"quiet_hours.mode: {self.mode!r}; allowed: chime, silent")

    def covers(self, now: time) -> bool:
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end


@dataclass(frozen=True)
class SpeechSettings:
    repeats: int = 2
    backlog_limit: int = 3
    max_group: int = 3
    backlog_repeats: int = 1
    gap_s: float = 0.6
    synth_deadline_s: float = 8.0
    volume: tuple[VolumeStep, ...] = field(default_factory=lambda: (VolumeStep(time(0), 1.0),))
    quiet_hours: tuple[QuietHours, ...] = ()

    def __post_init__(self) -> None:
        _check("repeats", self.repeats, 1, 5)
        _check("backlog_limit", self.backlog_limit, 1, 100)
        _check("max_group", self.max_group, 1, 6)
        _check("backlog_repeats", self.backlog_repeats, 1, 5)
        _check("gap_s", self.gap_s, 0.0, 5.0)
        _check("synth_deadline_s", self.synth_deadline_s, 0.1, 60.0)
        if not self.volume:
            raise ValueError("volume: at least one step is needed")


def _check(key: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{key}: {value} is outside {low}..{high}")


@dataclass(frozen=True)
class Announcement:
    """One sentence to announce: one call, or several for the same counter, shortened."""

    calls: tuple[Call, ...]
    shortened: bool = False

    @property
    def phrase(self) -> Phrase:
        first = self.calls[0]
        if not self.shortened:
            return call_phrase(first)
        tickets = [c.ticket for c in self.calls]
        return backlog_phrase(tickets, first.counter_id, first.counter_name)

    @property
    def tickets(self) -> tuple[str, ...]:
        return tuple(normalize_ticket(c.ticket) for c in self.calls)


@dataclass(frozen=True)
class Plan:
    chime: bool
    speak: bool
    repeats: int
    volume: float


class AnnouncementQueue:
    """Waiting calls, in order; not thread-safe (the announcer holds a lock around it)."""

    def __init__(self, settings: SpeechSettings) -> None:
        self.settings = settings
        self._waiting: list[Call] = []

    def __len__(self) -> int:
        return len(self._waiting)

    def waiting(self) -> tuple[Call, ...]:
        return tuple(self._waiting)

    def push(self, call: Call) -> bool:
        """Queue `call`, validated; True when it merged with a waiting call of that ticket."""
        call_phrase(call)  # ValueError on a bad ticket, counter or name, before queueing
        ticket = normalize_ticket(call.ticket)
        for index, waiting in enumerate(self._waiting):
            if normalize_ticket(waiting.ticket) == ticket:
                self._waiting[index] = replace(call, recall=call.recall or waiting.recall)
                return True
        self._waiting.append(call)
        return False

    def pop(self) -> Announcement | None:
        """The next announcement, taken off the queue, or None when nothing waits."""
        if not self._waiting:
            return None
        head = self._waiting[0]
        if len(self._waiting) <= self.settings.backlog_limit:
            del self._waiting[0]
            return Announcement((head,))
        same = [
            i
            for i, c in enumerate(self._waiting)
            if (c.counter_id, c.counter_name) == (head.counter_id, head.counter_name)
        ][: self.settings.max_group]
        calls = tuple(self._waiting[i] for i in same)
        for i in reversed(same):
            del self._waiting[i]
        return Announcement(calls, shortened=True)


def volume_at(settings: SpeechSettings, now: time) -> float:
    steps = sorted(settings.volume, key=lambda s: s.start)
    current = steps[-1]  # before the first step of the day, yesterday's last holds
    for step in steps:
        if step.start <= now:
            current = step
    return current.volume


def plan_for(announcement: Announcement, settings: SpeechSettings, now: time) -> Plan:
    """What to play for `announcement` at the time of day `now`."""
    volume = volume_at(settings, now)
    repeats = settings.backlog_repeats if announcement.shortened else settings.repeats
    for quiet in settings.quiet_hours:
        if quiet.covers(now):
            return Plan(chime=quiet.mode == "chime", speak=False, repeats=0, volume=volume)
    return Plan(chime=True, speak=True, repeats=repeats, volume=volume)
