"""Key events to scanned lines or single keys: pure, fed with ``evdev.InputEvent`` values.

A keyboard-wedge scanner types each character as a key press, Shift for capitals and
symbols, and ends a scan with Enter. ``LineDecoder`` turns those presses into ``Scan`` values:

- Shift (either side) and Caps Lock are tracked; key repeats (value 2) type again.
- Enter (or keypad Enter) ends a line. A line shorter than ``min_length`` is dropped.
- ``reject_human_speed``: a scanner types a line in a few milliseconds per key, a person in
  100 ms or more. When the median gap between key presses exceeds ``max_key_gap_ms`` the line
  is dropped as ``Rejected("human_speed")``, so someone typing on a grabbed scanner's keyboard
  (or a keypad left in scanner mode) cannot inject lines.
- A partial line left untouched for ``reset_after_s`` is discarded before the next key, so a
  stray key press does not prefix the next scan.

``KeyDecoder`` is for keypads that type: every press is one ``Key`` ("0"–"9", "enter",
"backspace" or the character).

Nothing here keeps or logs what was scanned beyond returning it: a scan may be an identity
number.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from typing import Protocol

from drivers.input import keymap

MAX_LINE = 4096


class InputEventLike(Protocol):
    """What the decoders read from an ``evdev.InputEvent``."""

    type: int
    code: int
    value: int

    def timestamp(self) -> float: ...


@dataclass(frozen=True)
class Scan:
    """One scanned line. ``text`` may be personal data: never log or keep it."""

    text: str
    keys: int
    median_gap_ms: float

    def __repr__(self) -> str:  # keep scanned data out of logs and tracebacks
        return f"Scan(<{len(self.text)} chars>, keys={self.keys}, gap={self.median_gap_ms:.1f})"


@dataclass(frozen=True)
class Rejected:
    """A line that was dropped, with why; its content is not kept."""

    reason: str  # human_speed, too_short, too_long, stale
    length: int


@dataclass(frozen=True)
class Key:
    """One key press on a keypad: a character, "enter" or "backspace"."""

    name: str


Result = Scan | Rejected | Key


@dataclass
class _Modifiers:
    shift: set[int] = field(default_factory=set)
    caps: bool = False

    def update(self, code: int, value: int) -> bool:
        """Track Shift and Caps Lock; True when ``code`` was a modifier."""
        if code in keymap.SHIFTS:
            if value:
                self.shift.add(code)
            else:
                self.shift.discard(code)
            return True
        if code == keymap.CAPSLOCK:
            if value == 1:
                self.caps = not self.caps
            return True
        return False


class LineDecoder:
    """Key events of a scanner to ``Scan`` (or ``Rejected``) values, one per Enter."""

    def __init__(
        self,
        *,
        min_length: int = 1,
        reject_human_speed: bool = False,
        max_key_gap_ms: float = 60.0,
        reset_after_s: float = 2.0,
    ) -> None:
        self.min_length = min_length
        self.reject_human_speed = reject_human_speed
        self.max_key_gap_ms = max_key_gap_ms
        self.reset_after_s = reset_after_s
        self._mods = _Modifiers()
        self._chars: list[str] = []
        self._times: list[float] = []
        self.unknown_keys = 0

    def reset(self) -> None:
        """Forget a partial line and the modifiers (after an unplug)."""
        self._mods = _Modifiers()
        self._chars.clear()
        self._times.clear()

    def feed(self, event: InputEventLike) -> list[Result]:
        if event.type != keymap.EV_KEY or self._mods.update(event.code, event.value):
            return []
        if event.value == 0:
            return []
        now = event.timestamp()
        out: list[Result] = []
        if self._times and now - self._times[-1] > self.reset_after_s:
            out.append(Rejected("stale", len(self._chars)))
            self._chars.clear()
            self._times.clear()
        if event.code in keymap.ENTERS:
            out.extend(self._finish(now))
            return out
        char = keymap.char_for(event.code, bool(self._mods.shift), self._mods.caps)
        if char is None:
            self.unknown_keys += 1
            return out
        self._chars.append(char)
        self._times.append(now)
        if len(self._chars) > MAX_LINE:
            out.append(Rejected("too_long", len(self._chars)))
            self._chars.clear()
            self._times.clear()
        return out

    def _finish(self, now: float) -> list[Result]:
        chars, times = self._chars, [*self._times, now]
        self._chars, self._times = [], []
        if not chars:
            return []
        gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
        median = statistics.median(gaps) if gaps else 0.0
        if len(chars) < self.min_length:
            return [Rejected("too_short", len(chars))]
        if self.reject_human_speed and median > self.max_key_gap_ms:
            return [Rejected("human_speed", len(chars))]
        return [Scan("".join(chars), len(chars), median)]


class KeyDecoder:
    """Key events of a keypad to ``Key`` values, one per press."""

    def __init__(self) -> None:
        self._mods = _Modifiers()
        self.unknown_keys = 0

    def reset(self) -> None:
        self._mods = _Modifiers()

    def feed(self, event: InputEventLike) -> list[Result]:
        if event.type != keymap.EV_KEY or self._mods.update(event.code, event.value):
            return []
        if event.value == 0:
            return []
        if event.code in keymap.ENTERS:
            return [Key("enter")]
        if event.code == keymap.BACKSPACE:
            return [Key("backspace")]
        char = keymap.char_for(event.code, bool(self._mods.shift), self._mods.caps)
        if char is None:
            self.unknown_keys += 1
            return []
        return [Key(char)]
