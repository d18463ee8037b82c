"""Mono 16-bit PCM in memory: read, write, trim, resample, join, scale, and the chime.

Stdlib only (`wave`, `array`, `math`): no audioop (removed in Python 3.13) and no numpy
(not a dependency of the product). Sentences are a few seconds long, so plain loops are
fast enough (a few milliseconds per sentence).
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RATE = 22050  # espeak-ng's native rate
_MAX = 32767
#: The highest sample an announcement may reach: 3 dB below full scale (32767 x 10^(-3/20)).
#: espeak-ng writes speech up to full scale (a few samples at 32,700 and more in one
#: sentence), which a cheap amplifier or a speaker at the top of its range turns into
#: audible clipping; the headroom leaves that margin.
HEADROOM_PEAK = round(_MAX * 10 ** (-3 / 20))


class AudioFormatError(ValueError):
    """A WAV file this module cannot read (compressed, 24/32-bit, empty)."""


@dataclass(frozen=True)
class Audio:
    """Mono signed 16-bit samples at `rate` Hz. Treat `samples` as read-only."""

    rate: int
    samples: array[int]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    def rms(self) -> float:
        if not self.samples:
            return 0.0
        return math.sqrt(sum(s * s for s in self.samples) / len(self.samples))

    def to_wav_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(_le_bytes(self.samples))
        return buffer.getvalue()

    def write(self, path: Path) -> None:
        path.write_bytes(self.to_wav_bytes())


def silence(seconds: float, rate: int = DEFAULT_RATE) -> Audio:
    return Audio(rate, array("h", bytes(2 * round(seconds * rate))))


def read_wav(path: Path) -> Audio:
    """Read an 8- or 16-bit PCM WAV, mixing stereo down to mono."""
    try:
        with wave.open(str(path), "rb") as src:
            width, channels, rate = src.getsampwidth(), src.getnchannels(), src.getframerate()
            raw = src.readframes(src.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width == 2:
        samples = array("h")
        samples.frombytes(raw[: len(raw) // 2 * 2])
        if sys.byteorder == "big":
            samples.byteswap()
    elif width == 1:
        samples = array("h", ((b - 128) << 8 for b in raw))
    else:
        raise AudioFormatError(f"{path}: {8 * width}-bit samples; use 8- or 16-bit PCM")
    if channels > 1:
        samples = array(
            "h",
            (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)),
        )
    return Audio(rate, samples)


def trim_silence(audio: Audio, threshold: int = 500, keep_s: float = 0.02) -> Audio:
    """Cut leading and trailing samples below `threshold`, keeping `keep_s` of margin."""
    samples = audio.samples
    if not samples:
        return audio
    start = next((i for i, s in enumerate(samples) if abs(s) >= threshold), None)
    if start is None:
        return Audio(audio.rate, array("h"))
    end = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) >= threshold)
    keep = round(keep_s * audio.rate)
    return Audio(audio.rate, samples[max(0, start - keep) : min(len(samples), end + keep + 1)])


def resample(audio: Audio, rate: int) -> Audio:
    """Linear interpolation to `rate`; good enough for speech clips."""
    if audio.rate == rate:
        return audio
    if not audio.samples:
        return Audio(rate, array("h"))
    src = audio.samples
    count = max(1, round(len(src) * rate / audio.rate))
    step = (len(src) - 1) / max(1, count - 1)
    out = array("h", bytes(2 * count))
    for i in range(count):
        pos = i * step
        j = int(pos)
        frac = pos - j
        nxt = src[j + 1] if j + 1 < len(src) else src[j]
        out[i] = round(src[j] + (nxt - src[j]) * frac)
    return Audio(rate, out)


def join(parts: list[Audio], gap_s: float = 0.0, rate: int = DEFAULT_RATE) -> Audio:
    """Concatenate, resampling each part to `rate`, with `gap_s` of silence between."""
    out = array("h")
    gap = silence(gap_s, rate).samples
    for index, part in enumerate(parts):
        if index and gap_s:
            out.extend(gap)
        out.extend(resample(part, rate).samples)
    return Audio(rate, out)


def scale(audio: Audio, volume: float) -> Audio:
    """Multiply by `volume` (0..1). Integer arithmetic in one comprehension: about 0.2 µs a
    sample, so a spoken sentence is scaled in some 20 ms; a factor below 1 cannot clip."""
    if volume >= 1.0:
        return audio
    factor = round(max(0.0, volume) * 32768)
    return Audio(audio.rate, array("h", [(s * factor) >> 15 for s in audio.samples]))


def peak(audio: Audio) -> int:
    """The largest absolute sample (0 for silence)."""
    if not audio.samples:
        return 0
    return max(max(audio.samples), -min(audio.samples))


def limit_peak(audio: Audio, ceiling: int = HEADROOM_PEAK) -> Audio:
    """Scale the whole of ``audio`` down so that no sample exceeds ``ceiling`` (a gain, not
    a clipper: the shape of the sound is kept); audio already below it is returned as is."""
    top = peak(audio)
    if top <= ceiling:
        return audio
    factor = (ceiling * 32768) // top  # floor: the result never rounds above the ceiling
    return Audio(audio.rate, array("h", [(s * factor) >> 15 for s in audio.samples]))


def make_chime(rate: int = DEFAULT_RATE, amplitude: float = 0.5) -> Audio:
    """A two-tone "ding-dong": E6 then C6 bell tones, each ringing out exponentially."""
    out = array("h")
    for freq, length in ((1318.5, 0.55), (1046.5, 0.9)):
        count = round(length * rate)
        for i in range(count):
            t = i / rate
            attack = min(1.0, t / 0.005)
            envelope = attack * math.exp(-4.0 * t)
            value = (
                math.sin(2 * math.pi * freq * t)
                + 0.35 * math.sin(2 * math.pi * 2 * freq * t) * math.exp(-6.0 * t)
                + 0.15 * math.sin(2 * math.pi * 3 * freq * t) * math.exp(-9.0 * t)
            ) / 1.5
            out.append(round(_MAX * amplitude * envelope * value))
    return Audio(rate, out)


def _le_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "little":
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()
