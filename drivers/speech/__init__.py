"""Spoken calls: the sentence, its pinyin, synthesis to WAV, playback and the announcer."""

from .announcer import Announcer, Health, HealthCallback
from .audio import Audio, make_chime, read_wav
from .engine import SpeechEngine, SpeechError, make_engine
from .player import FilePlayer, NullPlayer, PlaybackError, Player, make_player
from .schedule import Announcement, QuietHours, SpeechSettings, VolumeStep
from .text import Call, Phrase, backlog_phrase, call_phrase

__all__ = [
    "Announcement",
    "Announcer",
    "Audio",
    "Call",
    "FilePlayer",
    "Health",
    "HealthCallback",
    "NullPlayer",
    "Phrase",
    "PlaybackError",
    "Player",
    "QuietHours",
    "SpeechEngine",
    "SpeechError",
    "SpeechSettings",
    "VolumeStep",
    "backlog_phrase",
    "call_phrase",
    "make_chime",
    "make_engine",
    "make_player",
    "read_wav",
]
