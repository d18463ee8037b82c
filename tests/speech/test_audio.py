"""PCM helpers: WAV round trip, trimming, resampling, joining, volume, the chime."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import pytest

from drivers.speech.audio import (
    Audio,
    AudioFormatError,
    join,
    make_chime,
    read_wav,
    resample,
    scale,
    silence,
    trim_silence,
)

from .helpers import RMS_FLOOR


def tone(seconds: float, rate: int = 22050, level: int = 8000) -> Audio:
    return Audio(
        rate, array("h", (level if i % 20 < 10 else -level for i in range(round(seconds * rate))))
    )


def test_chime_is_a_loud_two_tone_ding_dong() -> None:
    chime = make_chime()
    assert 1.2 <= chime.duration <= 1.8
    assert chime.rms() > RMS_FLOOR
    half = len(chime.samples) * 55 // 145
    # both tones sound: each part has energy of its own
    assert Audio(chime.rate, chime.samples[:half]).rms() > RMS_FLOOR
    assert Audio(chime.rate, chime.samples[half:]).rms() > RMS_FLOOR


def test_wav_round_trip(tmp_path: Path) -> None:
    audio = tone(0.5)
    audio.write(tmp_path / "a.wav")
    back = read_wav(tmp_path / "a.wav")
    assert back == audio


def test_stereo_8bit_is_read_as_mono_16bit(tmp_path: Path) -> None:
    path = tmp_path / "s.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(bytes([128, 128, 255, 1, 0, 0]))
    audio = read_wav(path)
    assert audio.rate == 8000
    assert list(audio.samples) == [0, (127 * 256 - 127 * 256) // 2, -128 * 256]


def test_not_a_wav_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"not a wav")
    with pytest.raises(AudioFormatError, match=r"x\.wav"):
        read_wav(path)


def test_trim_silence_keeps_a_small_margin() -> None:
    padded = join([silence(0.5), tone(1.0), silence(0.7)])
    trimmed = trim_silence(padded, keep_s=0.02)
    assert trimmed.duration == pytest.approx(1.04, abs=0.01)
    assert trim_silence(silence(0.3)).duration == 0


def test_resample_keeps_the_length_in_time() -> None:
    audio = tone(1.0, rate=44100)
    assert resample(audio, 22050).duration == pytest.approx(1.0, abs=0.001)
    assert resample(audio, 44100) is audio


def test_join_puts_gaps_between_parts() -> None:
    joined = join([tone(1.0), tone(0.5, rate=11025)], gap_s=0.25)
    assert joined.duration == pytest.approx(1.75, abs=0.001)


def test_scale_lowers_the_level() -> None:
    audio = tone(0.2)
    assert scale(audio, 0.5).rms() == pytest.approx(audio.rms() / 2, rel=0.01)
    assert scale(audio, 1.0) is audio
    assert scale(audio, 0.0).rms() == 0
