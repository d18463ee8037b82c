"""Helpers for the speech tests."""

from __future__ import annotations

import subprocess

from drivers.speech.audio import Audio

RMS_FLOOR = 300.0  # 16-bit samples; espeak-ng speech measures in the thousands


def espeak_phonemes(voice: str, text: str) -> str:
    """What espeak-ng would say, as phoneme mnemonics; `(en)` marks a switch to English."""
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-x", "-q", text],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return done.stdout


def assert_speech(audio: Audio, low_s: float, high_s: float) -> None:
    assert audio.rms() > RMS_FLOOR, f"silent: RMS {audio.rms():.0f}"
    assert low_s <= audio.duration <= high_s, f"implausible length {audio.duration:.2f} s"
