"""A voice pack: recorded clips joined into the sentence, the built-in engine filling gaps.

A pack is a folder of WAV files (8- or 16-bit PCM, mono or stereo, any rate), one clip per
token, named by the token:

    0.wav .. 9.wav (or 零.wav .. 九.wav)   A.wav .. Z.wav   号.wav 请.wav 到.wav 窗口.wav
    办理.wav   optional: 十.wav 百.wav 千.wav 万.wav 、.wav, a counter name ("婚姻登记处.wav"),
    and chime.wav (used instead of the built-in ding-dong).

Clips are trimmed of leading and trailing silence and joined with a short gap. A counter
number ("十二") is looked up whole, then character by character. Tokens the pack lacks are
spoken by the fallback engine, a run of missing tokens at a time so the engine gets whole
words; its audio is trimmed and resampled to the pack's rate like a clip.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .audio import Audio, AudioFormatError, join, limit_peak, read_wav, silence, trim_silence
from .engine import SpeechEngine, SpeechError
from .pinyin import letter_before_digit
from .text import DIGITS, PAUSE, Phrase

_log = logging.getLogger(__name__)

_NUMERALS = set(DIGITS) | set("十百千万")
_PAUSE_S = 0.25


class VoicePackEngine:
    def __init__(
        self, folder: Path, fallback: SpeechEngine, gap_s: float = 0.06, threshold: int = 500
    ) -> None:
        if not folder.is_dir():
            raise ValueError(f"voice pack folder not found: {folder}")
        self.name = f"voice-pack+{fallback.name}"
        self.folder = folder
        self.fallback = fallback
        self.gap_s = gap_s
        self.threshold = threshold
        self._files = {p.stem.upper() if p.stem.isascii() else p.stem: p for p in _wavs(folder)}
        self._cache: dict[str, Audio] = {}
        self.rate = self._first_rate()
        if not self._files:
            _log.warning(
                "voice pack %s has no clips; the built-in engine speaks everything", folder
            )

    def has(self, token: str) -> bool:
        return self._clip_name(token) is not None

    def chime(self) -> Audio | None:
        """The pack's chime.wav, trimmed, or None when the pack has none."""
        return self._clip("CHIME") if "CHIME" in self._files else None

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        deadline = time.monotonic() + timeout
        parts: list[Audio] = []
        missing: list[str] = []
        previous = ""
        for token in phrase.tokens:
            if letter_before_digit(previous, token):  # "H", pause, "零零一": not 七零零一
                if missing:
                    parts.append(self._speak_missing(missing, deadline))
                    missing = []
                parts.append(silence(_PAUSE_S, self.rate))
            previous = token
            clips = self._clips_for(token)
            if clips is None and token != PAUSE:
                missing.append(token)
                continue
            if missing:
                parts.append(self._speak_missing(missing, deadline))
                missing = []
            parts.extend(clips if clips is not None else [silence(_PAUSE_S, self.rate)])
        if missing:
            parts.append(self._speak_missing(missing, deadline))
        return limit_peak(join(parts, self.gap_s, self.rate))

    def _speak_missing(self, tokens: list[str], deadline: float) -> Audio:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SpeechError(
                f"{self.name}: deadline passed before {' '.join(tokens)!r}", "timeout"
            )
        audio = self.fallback.synthesize(Phrase(tuple(tokens), "".join(tokens)), remaining)
        return trim_silence(audio, self.threshold)

    def _clips_for(self, token: str) -> list[Audio] | None:
        if self.has(token):
            return [self._clip(token)]
        if len(token) > 1 and set(token) <= _NUMERALS and all(self.has(c) for c in token):
            return [self._clip(c) for c in token]
        return None

    def _clip_name(self, token: str) -> str | None:
        key = token.upper() if token.isascii() else token
        if key in self._files:
            return key
        if token in DIGITS and str(DIGITS.index(token)) in self._files:
            return str(DIGITS.index(token))
        return None

    def _clip(self, token: str) -> Audio:
        name = self._clip_name(token) or token
        if name not in self._cache:
            try:
                self._cache[name] = trim_silence(read_wav(self._files[name]), self.threshold)
            except AudioFormatError as exc:
                raise SpeechError(f"{self.name}: {exc}") from exc
        return self._cache[name]

    def _first_rate(self) -> int:
        for name in sorted(self._files):
            try:
                return self._clip(name).rate
            except SpeechError as exc:
                _log.warning("voice pack clip skipped: %s", exc)
        return 22050


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file())
