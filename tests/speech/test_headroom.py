"""Announcements keep ~3 dB of headroom: no sample above 23,197 (32,767 at -3 dBFS), in the
WAVs espeak-ng writes through the engine and in the announcement files the player writes."""

from __future__ import annotations

import subprocess
from array import array
from pathlib import Path

from drivers.speech.announcer import Announcer
from drivers.speech.audio import HEADROOM_PEAK, Audio, limit_peak, peak, read_wav
from drivers.speech.engine import VOICE, make_engine
from drivers.speech.pinyin import to_pinyin
from drivers.speech.player import FilePlayer
from drivers.speech.text import Call, Phrase, call_phrase
from drivers.speech.voicepack import VoicePackEngine

CALLS = [
    Call("A012", "3"),
    Call("H001", "7"),
    Call("Z999", "108"),
    Call("W050", "12", "婚姻登记处"),
    Call("E001", "1"),
    Call("S100", "10", "综合窗口"),
]


def test_the_ceiling_is_3_db_below_full_scale() -> None:
    assert HEADROOM_PEAK == 23197
    assert 23_000 <= HEADROOM_PEAK <= 23_200


def espeak_raw(text: str, folder: Path) -> Audio:
    out = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", "150", "-w", str(out), text], check=True)
    return read_wav(out)


def test_espeak_alone_reaches_full_scale_and_the_engine_does_not(tmp_path: Path) -> None:
    raw = [peak(espeak_raw(to_pinyin(call_phrase(c).tokens), tmp_path)) for c in CALLS]
    assert max(raw) > 30_000, raw  # what espeak-ng writes: the reason for the limit
    engine = make_engine("espeak-ng")
    for call in CALLS:
        audio = engine.synthesize(call_phrase(call), timeout=10)
        assert 20_000 < peak(audio) <= HEADROOM_PEAK, call


def test_announcement_files_peak_below_the_ceiling(tmp_path: Path) -> None:
    folder = tmp_path / "announcements"
    announcer = Announcer(make_engine("espeak-ng"), FilePlayer(folder))
    announcer.start()
    try:
        for call in CALLS:
            announcer.announce(call)
            assert announcer.wait_idle(30)
    finally:
        announcer.stop()
    files = sorted(folder.glob("*.wav"))
    assert len(files) == len(CALLS)
    for path in files:
        audio = read_wav(path)
        loud = sum(1 for s in audio.samples if abs(s) >= 32_700)
        assert loud == 0 and peak(audio) <= HEADROOM_PEAK, (path.name, peak(audio))
        assert peak(audio) > 15_000, path.name  # still at a sensible level


def test_a_voice_pack_recorded_at_full_scale_is_lowered(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    loud = Audio(22050, array("h", (32767 if i % 20 < 10 else -32768 for i in range(4410))))
    for token in ("请", "A", "零", "一", "二", "号", "到", "三", "窗口", "办理"):
        name = {"零": "0", "一": "1", "二": "2", "三": "3"}.get(token, token)
        loud.write(pack / f"{name}.wav")
    engine = VoicePackEngine(pack, make_engine("espeak-ng"))
    audio = engine.synthesize(Phrase(("请", "A", "零", "一", "二"), "请 A012"), timeout=10)
    assert peak(audio) <= HEADROOM_PEAK


def test_limit_peak_is_a_gain_not_a_clipper() -> None:
    samples = array("h", [0, 1000, -32768, 32767, 16000, -8000])
    limited = limit_peak(Audio(8000, samples)).samples
    assert max(abs(s) for s in limited) <= HEADROOM_PEAK
    assert limited[3] >= HEADROOM_PEAK - 1 and limited[2] >= -HEADROOM_PEAK
    assert abs(limited[4] / limited[3] - 16000 / 32767) < 0.001  # the shape is kept
    quiet = Audio(8000, array("h", [0, 5000, -9000]))
    assert limit_peak(quiet) is quiet
