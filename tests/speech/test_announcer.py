"""The announcer thread: order, merges, backlog, no overlap, hung and failing engines."""

from __future__ import annotations

import sys
import threading
import time as timer
from array import array
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pytest

from drivers.speech.announcer import CHIME_ONLY, Announcer, Health
from drivers.speech.audio import Audio, make_chime, read_wav
from drivers.speech.engine import CommandEngine, SpeechError, make_engine
from drivers.speech.player import FilePlayer, NullPlayer, PlaybackError
from drivers.speech.schedule import QuietHours, SpeechSettings, VolumeStep
from drivers.speech.text import Call, Phrase

from .helpers import assert_speech

SENTENCE_S = 1.0
CHIME = make_chime()


def tone(seconds: float = SENTENCE_S, level: int = 8000) -> Audio:
    n = round(seconds * 22050)
    return Audio(22050, array("h", (level if i % 20 < 10 else -level for i in range(n))))


class FakeEngine:
    """Answers at once with a fixed tone; can be held at a gate or made to fail."""

    name = "fake"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.spoken: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        self.entered.set()
        assert self.gate.wait(10)
        self.spoken.append(phrase.display)
        if self.fail:
            raise SpeechError("fake: broken")
        return tone()


class OverlapCheckingPlayer(NullPlayer):
    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.overlapped = False

    def play(self, audio: Audio, text: str) -> None:
        self.active += 1
        self.overlapped |= self.active > 1
        timer.sleep(0.01)
        super().play(audio, text)
        self.active -= 1


class Faults:
    """Records the health changes the announcer reports."""

    def __init__(self) -> None:
        self.seen: list[Health] = []

    def __call__(self, health: Health) -> None:
        self.seen.append(health)

    def states(self, kind: str | None = None) -> list[tuple[str, bool, str]]:
        return [(h.kind, h.ok, h.state) for h in self.seen if kind in (None, h.kind)]

    def faults(self) -> list[Health]:
        return [h for h in self.seen if not h.ok]


@pytest.fixture
def faults() -> Faults:
    return Faults()


def started(announcer: Announcer) -> Iterator[Announcer]:
    announcer.start()
    yield announcer
    announcer.stop()


def test_chime_then_the_sentence_twice_in_order(faults: Faults) -> None:
    engine, player = FakeEngine(), OverlapCheckingPlayer()
    for announcer in started(Announcer(engine, player, on_health=faults)):
        for ticket in ("A001", "A002", "B001"):
            announcer.announce(Call(ticket, "3"))
        assert announcer.wait_idle(10)
    assert [p.text for p in player.played] == [
        "请 A001 号到 3 号窗口办理",
        "请 A002 号到 3 号窗口办理",
        "请 B001 号到 3 号窗口办理",
    ]
    gap = SpeechSettings().gap_s
    expected = CHIME.duration + 2 * SENTENCE_S + 2 * gap
    assert all(p.audio.duration == pytest.approx(expected, abs=0.01) for p in player.played)
    assert not player.overlapped and not faults.faults()
    assert faults.states() == [("speech", True, "ok"), ("audio", True, "ok")]  # first outcome


def test_recall_merges_and_backlog_shortens_while_busy(faults: Faults) -> None:
    engine, player = FakeEngine(), NullPlayer()
    settings = SpeechSettings(backlog_limit=2, max_group=3)
    for announcer in started(Announcer(engine, player, settings, on_health=faults)):
        engine.gate.clear()
        announcer.announce(Call("A001", "3"))
        assert engine.entered.wait(5)  # the worker holds A001
        for ticket, counter in [("A002", "3"), ("B001", "5"), ("A003", "3"), ("A004", "3")]:
            assert announcer.announce(Call(ticket, counter)) is False
        assert announcer.announce(Call("A002", "3", recall=True)) is True
        assert len(announcer.waiting()) == 4
        engine.gate.set()
        assert announcer.wait_idle(10)
    assert [p.text for p in player.played] == [
        "请 A001 号到 3 号窗口办理",
        "请 A002、A003、A004 号到 3 号窗口",
        "请 B001 号到 5 号窗口办理",
    ]
    shortened = player.played[1].audio.duration
    assert shortened == pytest.approx(
        CHIME.duration + SENTENCE_S + SpeechSettings().gap_s, abs=0.01
    )


def test_a_hung_engine_is_killed_without_blocking_the_caller(faults: Faults) -> None:
    engine = CommandEngine("hung", [sys.executable, "-c", "import time; time.sleep(60)"])
    player = NullPlayer()
    settings = SpeechSettings(synth_deadline_s=0.5)
    for announcer in started(Announcer(engine, player, settings, on_health=faults)):
        before = timer.monotonic()
        announcer.announce(Call("A001", "3"))
        announcer.announce(Call("A002", "3"))
        assert timer.monotonic() - before < 0.4  # never held for a 0.5 s deadline
        assert announcer.wait_idle(5)
        assert timer.monotonic() - before < 5.0  # two deadlines, not the 60 s hang
    assert [p.text for p in player.played] == [
        CHIME_ONLY + "请 A001 号到 3 号窗口办理",
        CHIME_ONLY + "请 A002 号到 3 号窗口办理",
    ]
    assert all(p.audio.duration == pytest.approx(CHIME.duration, abs=0.01) for p in player.played)
    assert faults.states("speech") == [("speech", False, "timeout")]  # once, not per call
    assert "killed" in faults.seen[0].detail


def test_a_failing_engine_falls_back_to_the_chime(faults: Faults) -> None:
    player = NullPlayer()
    for announcer in started(Announcer(FakeEngine(fail=True), player, on_health=faults)):
        announcer.announce(Call("A001", "3"))
        assert announcer.wait_idle(5)
    (played,) = player.played
    assert played.text.startswith(CHIME_ONLY)
    assert played.audio.samples == CHIME.samples
    assert faults.faults() == [Health("speech", False, "failed", "fake: broken")]


def test_a_failing_player_is_reported_and_the_queue_goes_on(faults: Faults) -> None:
    class BrokenPlayer(NullPlayer):
        def play(self, audio: Audio, text: str) -> None:
            super().play(audio, text)
            raise PlaybackError("player 'aplay' exit code 1: audio open error")

    player = BrokenPlayer()
    for announcer in started(Announcer(FakeEngine(), player, on_health=faults)):
        announcer.announce(Call("A001", "3"))
        announcer.announce(Call("A002", "3"))
        assert announcer.wait_idle(5)
    assert len(player.played) == 2
    assert faults.states("audio") == [("audio", False, "failed")]


def test_recovery_is_reported_once_after_a_fault(faults: Faults) -> None:
    engine, player = FakeEngine(fail=True), NullPlayer()
    for announcer in started(Announcer(engine, player, on_health=faults)):
        announcer.announce(Call("A001", "3"))
        assert announcer.wait_idle(5)
        engine.fail = False
        announcer.announce(Call("A002", "3"))
        announcer.announce(Call("A003", "3"))
        assert announcer.wait_idle(5)
    assert faults.states("speech") == [("speech", False, "failed"), ("speech", True, "ok")]
    assert [p.text.startswith(CHIME_ONLY) for p in player.played] == [True, False, False]


@pytest.mark.allow_logged_exceptions
def test_a_fault_callback_that_raises_does_not_stop_the_worker() -> None:
    def bad_callback(health: Health) -> None:
        raise RuntimeError("reporting failed")

    player = NullPlayer()
    for announcer in started(Announcer(FakeEngine(fail=True), player, on_health=bad_callback)):
        announcer.announce(Call("A001", "3"))
        announcer.announce(Call("A002", "3"))
        assert announcer.wait_idle(5)
    assert len(player.played) == 2


@pytest.mark.parametrize(
    ("hour", "mode", "expect"),
    [(9, "chime", "speech"), (12, "chime", "chime"), (12, "silent", "nothing")],
)
def test_quiet_hours_and_volume(hour: int, mode: str, expect: str) -> None:
    settings = SpeechSettings(
        volume=(VolumeStep(time(0), 0.5),),
        quiet_hours=(QuietHours(time(12), time(13), mode),),  # type: ignore[arg-type]
    )
    engine, player = FakeEngine(), NullPlayer()
    clock = lambda: datetime(2026, 11, 27, hour, 5)  # noqa: E731
    for announcer in started(Announcer(engine, player, settings, clock=clock)):
        announcer.announce(Call("A001", "3"))
        assert announcer.wait_idle(5)
    if expect == "nothing":
        assert player.played == [] and engine.spoken == []
        return
    (played,) = player.played
    if expect == "chime":
        assert engine.spoken == []
        assert played.audio.duration == pytest.approx(CHIME.duration, abs=0.01)
        assert played.audio.rms() == pytest.approx(CHIME.rms() * 0.5, rel=0.01)
    else:
        assert played.audio.duration > CHIME.duration + 2 * SENTENCE_S


def test_a_malformed_call_is_refused_at_once() -> None:
    announcer = Announcer(FakeEngine(), NullPlayer())
    with pytest.raises(ValueError):
        announcer.announce(Call("A?", "3"))
    assert announcer.waiting() == ()


def test_end_to_end_with_espeak_into_announcement_files(tmp_path: Path, faults: Faults) -> None:
    folder = tmp_path / "announcements"
    engine = make_engine("espeak-ng")
    for announcer in started(Announcer(engine, FilePlayer(folder), on_health=faults)):
        announcer.announce(Call("A012", "3"))
        announcer.announce(Call("B105", "12", "婚姻登记处"))
        assert announcer.wait_idle(30)
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".pinyin") == [
        "001.txt",
        "001.wav",
        "002.txt",
        "002.wav",
    ]
    assert (folder / "002.txt").read_text(encoding="utf-8") == "请 B105 号到婚姻登记处办理\n"
    assert (folder / "002.pinyin").read_text(encoding="utf-8") == (
        "qing3 bi4, yi1 ling2 wu3 hao4 dao4 hun1 yin1 deng1 ji4 chu4 ban4 li3\n"
    )
    for name in ("001.wav", "002.wav"):
        assert_speech(read_wav(folder / name), 4.0, 20.0)  # chime + the sentence twice
    assert not faults.faults()
