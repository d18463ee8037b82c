"""Synthesis: espeak-ng (and pyttsx3) write real WAVs; hung and failing engines end clearly."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from drivers.speech.announcer import default_chime
from drivers.speech.audio import Audio, make_chime
from drivers.speech.engine import CommandEngine, SpeechEngine, SpeechError, make_engine
from drivers.speech.text import Call, Phrase, backlog_phrase, call_phrase
from drivers.speech.voicepack import VoicePackEngine

from .helpers import assert_speech

SENTENCE = call_phrase(Call("A012", "3"))


@pytest.mark.parametrize(
    "phrase",
    [
        SENTENCE,
        call_phrase(Call("F108", "12", "婚姻登记处")),
        backlog_phrase(["A012", "A013"], "3", None),
    ],
    ids=lambda p: p.display,
)
def test_espeak_ng_speaks_a_sentence(phrase: Phrase) -> None:
    audio = make_engine("espeak-ng").synthesize(phrase, timeout=10)
    assert_speech(audio, 1.5, 8.0)


def test_pyttsx3_worker_speaks_a_sentence() -> None:
    audio = make_engine("pyttsx3").synthesize(SENTENCE, timeout=20)
    assert_speech(audio, 1.5, 8.0)


def test_both_engines_use_the_same_voice() -> None:
    a = make_engine("espeak-ng").synthesize(SENTENCE, timeout=10)
    b = make_engine("pyttsx3").synthesize(SENTENCE, timeout=20)
    assert a.rate == b.rate
    assert abs(a.duration - b.duration) < 0.5


def test_unknown_engine_name_is_refused() -> None:
    with pytest.raises(ValueError, match="espeak-ng, pyttsx3"):
        make_engine("festival")


def test_unknown_voice_is_an_error_not_another_voice() -> None:
    with pytest.raises(SpeechError, match="espeak-ng: exit code"):
        make_engine("espeak-ng", voice="nope").synthesize(SENTENCE, timeout=10)
    with pytest.raises(SpeechError, match="not installed"):
        make_engine("pyttsx3", voice="nope").synthesize(SENTENCE, timeout=20)


def test_hung_engine_is_killed_at_its_deadline(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = f"import os,time; open({str(marker)!r},'w').write(str(os.getpid())); time.sleep(60)"
    engine = CommandEngine("sleeper", [sys.executable, "-c", script])
    started = time.monotonic()
    with pytest.raises(SpeechError, match=r"sleeper: no result within 0\.5 s; killed"):
        engine.synthesize(SENTENCE, timeout=0.5)
    assert time.monotonic() - started < 5.0  # its deadline, not the 60 s sleep
    pid = int(marker.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sh", "-c", "echo broken >&2; exit 3"], "exit code 3: broken"),
        (["true"], "no usable WAV"),
        (["/nonexistent/tts"], "cannot start"),
        (["sh", "-c", "printf 'RIFF' > \"$0\"", "{out}"], "no usable WAV"),
    ],
)
def test_failing_engine_raises_speech_error(argv: list[str], message: str) -> None:
    with pytest.raises(SpeechError, match=message):
        CommandEngine("bad", argv).synthesize(SENTENCE, timeout=5)


def test_retry_on_a_lost_file_within_the_deadline(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    script = (
        f'p={str(counter)!r}; test -f $p && exec espeak-ng -v cmn-latn-pinyin -w "$0" "$1"; '
        "touch $p; exit 4"
    )
    engine = CommandEngine("flaky", ["sh", "-c", script, "{out}", "{text}"], frozenset({4}))
    assert_speech(engine.synthesize(SENTENCE, timeout=10), 1.5, 8.0)


def _pack(folder: Path, tokens: list[str]) -> Path:
    folder.mkdir()
    espeak = make_engine("espeak-ng")
    for token in tokens:
        clip = espeak.synthesize(Phrase((token,), token), timeout=10)
        name = {"零": "0", "一": "1", "二": "2", "三": "3"}.get(token, token)
        clip.write(folder / f"{name}.wav")
    return folder


class CountingEngine:
    def __init__(self, inner: SpeechEngine) -> None:
        self.name = "counting"
        self.inner = inner
        self.asked: list[tuple[str, ...]] = []

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        self.asked.append(phrase.tokens)
        return self.inner.synthesize(phrase, timeout)


def test_voice_pack_joins_clips_and_the_engine_fills_gaps(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", ["请", "A", "零", "一", "二", "号", "到", "三", "窗口"])
    fallback = CountingEngine(make_engine("espeak-ng"))
    engine = VoicePackEngine(pack, fallback)
    audio = engine.synthesize(SENTENCE, timeout=10)
    assert fallback.asked == [("办理",)]  # the only word the pack lacks
    assert_speech(audio, 1.5, 8.0)
    assert engine.chime() is None


def test_voice_pack_reads_a_counter_cardinal_from_digit_clips(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", ["一", "二", "十"])
    fallback = CountingEngine(make_engine("espeak-ng"))
    VoicePackEngine(pack, fallback).synthesize(call_phrase(Call("A12", "12")), timeout=10)
    assert fallback.asked == [("请", "A"), ("号", "到"), ("号", "窗口", "办理")]


def test_voice_pack_chime_and_missing_folder(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", ["号"])
    make_engine("espeak-ng").synthesize(SENTENCE, timeout=10).write(pack / "chime.wav")
    engine = VoicePackEngine(pack, make_engine("espeak-ng"))
    assert engine.chime() is not None
    assert default_chime(engine) == engine.chime()
    assert default_chime(make_engine("espeak-ng")) == make_chime()
    with pytest.raises(ValueError, match="not found"):
        make_engine("espeak-ng", pack_dir=tmp_path / "missing")
