"""The [display] section of the hall's config file, with its [display.speech] table.

[display]
id = "display-1"
layout = "landscape"            # or "portrait" (a screen turned on its side)
highlight_seconds = 8           # a new call flashes this long, then joins the recent list

[display.speech]
engine = "espeak-ng"            # or "pyttsx3"; both speak with espeak-ng's pinyin voice
repeats = 2
player = "aplay"                # aplay, paplay, file (writes WAVs), null
volume = [{ from = "00:00", level = 0.6 }, { from = "08:30", level = 1.0 }]
quiet_hours = [{ from = "12:00", to = "13:30", mode = "chime" }]
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, Field

from hall.settings import HallCommon, StrictSection

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a time of day HH:MM, 00:00 to 23:59")
    return value


HHMM = Annotated[str, AfterValidator(_hhmm)]


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class VolumeStepSection(StrictSection):
    start: HHMM = Field(alias="from", description="From this time of day (HH:MM) on …")
    level: float = Field(ge=0.0, le=1.0, description="… play at this volume (0 to 1)")


class QuietHoursSection(StrictSection):
    start: HHMM = Field(alias="from", description="Quiet from (HH:MM)")
    end: HHMM = Field(alias="to", description="Until (HH:MM, exclusive; may pass midnight)")
    mode: Literal["chime", "silent"] = Field(
        "chime", description="chime: the ding-dong alone, no sentence; silent: nothing"
    )


class SpeechSection(StrictSection):
    """Spoken calls: how they are synthesised, repeated, queued and played."""

    enabled: bool = Field(True, description="false: the screen only, no sound at all")
    engine: Literal["espeak-ng", "pyttsx3"] = Field(
        "espeak-ng", description="Speech engine (both use espeak-ng's cmn-latn-pinyin voice)"
    )
    voice: str = Field(
        "cmn-latn-pinyin",
        pattern=r"^[A-Za-z0-9_/+-]{1,40}$",
        description="espeak-ng voice; it is given tone-numbered pinyin",
    )
    rate_wpm: int = Field(150, ge=80, le=300, description="Speaking rate, words per minute")
    repeats: int = Field(2, ge=1, le=5, description="Each sentence is spoken this many times")
    backlog_limit: int = Field(
        3, ge=1, le=100, description="Past this many waiting calls, announcements are shortened"
    )
    max_group: int = Field(
        3, ge=1, le=6, description="Numbers for one counter in one shortened sentence"
    )
    backlog_repeats: int = Field(1, ge=1, le=5, description="Repeats of a shortened sentence")
    gap_seconds: float = Field(0.6, ge=0.0, le=5.0, description="Silence between the parts")
    synth_deadline_seconds: float = Field(
        8.0, ge=0.5, le=60.0, description="A synthesis running longer is killed (chime only)"
    )
    volume: list[VolumeStepSection] = Field(
        default_factory=list,
        max_length=24,
        description="Volume by time of day; the last step started holds. Empty: full volume",
    )
    quiet_hours: list[QuietHoursSection] = Field(default_factory=list, max_length=12)
    voice_pack: str = Field(
        "",
        max_length=200,
        description="Folder of recorded clips (relative to the config file); empty: none",
    )
    player: Literal["aplay", "paplay", "file", "null"] = Field(
        "aplay", description="aplay/paplay play; file writes NNN.wav + NNN.txt; null discards"
    )
    player_command: str = Field(
        "", max_length=200, description="Custom player command line (the WAV path is appended)"
    )
    output_dir: str = Field(
        "announcements", max_length=200, description="Folder of the 'file' player, relative"
    )


class DisplaySection(StrictSection):
    id: str = Field(
        "display-1", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="This screen's name"
    )
    layout: Literal["landscape", "portrait"] = Field(
        "landscape", description="landscape (16:9) or portrait (a screen turned to 9:16)"
    )
    highlight_seconds: float = Field(
        8.0, ge=1.0, le=60.0, description="A new call is shown large and flashing this long"
    )
    recent_calls: int = Field(8, ge=1, le=20, description="Rows in the list of recent calls")
    show_masked_names: bool = Field(
        False, description="Show a masked name (张*) beside the number where the hub sends one"
    )
    page_seconds: float = Field(
        10.0, ge=2.0, le=120.0, description="Services that do not fit are paged this often"
    )
    speech: SpeechSection = SpeechSection()

    def path(self, base: Path, relative: str) -> Path:
        """A path from this section, relative to the config file's folder `base`."""
        return (base / relative).resolve()


class DisplayConfig(HallCommon, Protocol):
    """What the display role reads of the composed config: the common sections and [display]."""

    @property
    def display(self) -> DisplaySection: ...
