"""The display's announcer, built from the [display.speech] settings (no Qt here).

The engine, the voice pack, the player and the announcement rules are the speech driver's
(`drivers.speech`); this module only turns the typed config section into them. Quiet hours
and the volume steps are read in the hall's time zone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from drivers.speech import (
    Announcer,
    HealthCallback,
    Player,
    QuietHours,
    SpeechEngine,
    SpeechSettings,
    VolumeStep,
    make_engine,
    make_player,
)
from drivers.speech.pinyin import warm

from .settings import DisplaySection, SpeechSection, parse_hhmm


def speech_settings(section: SpeechSection) -> SpeechSettings:
    volume = tuple(VolumeStep(parse_hhmm(v.start), v.level) for v in section.volume)
    quiet = tuple(
        QuietHours(parse_hhmm(q.start), parse_hhmm(q.end), q.mode) for q in section.quiet_hours
    )
    return SpeechSettings(
        repeats=section.repeats,
        backlog_limit=section.backlog_limit,
        max_group=section.max_group,
        backlog_repeats=section.backlog_repeats,
        gap_s=section.gap_seconds,
        synth_deadline_s=section.synth_deadline_seconds,
        volume=volume or SpeechSettings().volume,
        quiet_hours=quiet,
    )


def engine_for(section: SpeechSection, base: Path) -> SpeechEngine:
    pack = (base / section.voice_pack).resolve() if section.voice_pack else None
    return make_engine(
        section.engine, voice=section.voice, rate_wpm=section.rate_wpm, pack_dir=pack
    )


def player_for(section: SpeechSection, base: Path) -> Player:
    return make_player(
        section.player,
        folder=(base / section.output_dir).resolve(),
        command=section.player_command or None,
    )


def build_announcer(
    display: DisplaySection,
    base: Path,
    tz: ZoneInfo,
    *,
    on_health: HealthCallback | None = None,
    engine: SpeechEngine | None = None,
    player: Player | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Announcer | None:
    """The announcer for this display (not started), or None when speech is turned off.

    Raises ValueError for a voice pack folder that does not exist.
    """
    section = display.speech
    if not section.enabled:
        return None
    return Announcer(
        engine if engine is not None else engine_for(section, base),
        player if player is not None else player_for(section, base),
        speech_settings(section),
        on_health=on_health,
        clock=clock or (lambda: datetime.now(tz)),
    )


class NameWarmer:
    """Reads counter names ahead (their pinyin), on a thread of its own, once per name, so
    that no announcement waits for it and no caller (GUI or bus thread) waits at all."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def offer(self, names: Iterable[str]) -> threading.Thread | None:
        with self._lock:
            new = {n for n in names if n and n not in self._seen}
            self._seen |= new
        if not new:
            return None
        thread = threading.Thread(target=warm, args=(sorted(new),), name="names", daemon=True)
        thread.start()
        return thread
