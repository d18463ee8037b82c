"""Playback: a checked player process with a deadline, and the file and null simulators."""

from __future__ import annotations

import shutil
import time
from array import array
from pathlib import Path

import pytest

from drivers.speech.audio import Audio, make_chime, read_wav, silence
from drivers.speech.player import CommandPlayer, FilePlayer, NullPlayer, PlaybackError, make_player


def test_file_player_numbers_wavs_with_text_beside(tmp_path: Path) -> None:
    folder = tmp_path / "announcements"
    player = FilePlayer(folder)
    player.play(make_chime(), "请 A012 号到 3 号窗口办理")
    player.play(silence(0.1), "请 A013 号到 3 号窗口办理")
    assert sorted(p.name for p in folder.iterdir()) == ["001.txt", "001.wav", "002.txt", "002.wav"]
    assert (folder / "002.txt").read_text(encoding="utf-8") == "请 A013 号到 3 号窗口办理\n"
    assert read_wav(folder / "001.wav") == make_chime()
    FilePlayer(folder).play(silence(0.1), "again")  # a restart numbers on
    assert (folder / "003.txt").exists()


def test_null_player_records(tmp_path: Path) -> None:
    seen: list[str] = []
    player = NullPlayer(hook=lambda played: seen.append(played.text))
    player.play(make_chime(), "x")
    assert [p.text for p in player.played] == ["x"] == seen


def test_null_player_keeps_a_bounded_record() -> None:
    tone = Audio(8000, array("h", [100] * 800))
    bounded, discarding = NullPlayer(keep=2), make_player("null")
    for text in ("a", "b", "c"):
        bounded.play(tone, text)
        discarding.play(tone, text)
    assert [p.text for p in bounded.played] == ["b", "c"]
    assert isinstance(discarding, NullPlayer) and discarding.played == []


def test_command_player_checks_the_exit_code() -> None:
    CommandPlayer(["true"]).play(silence(0.1), "ok")
    with pytest.raises(PlaybackError, match="exit code 2: no sound"):
        CommandPlayer(["sh", "-c", "echo no sound >&2; exit 2"]).play(silence(0.1), "x")


def test_missing_player_is_an_error_not_silence() -> None:
    with pytest.raises(PlaybackError, match="cannot start player"):
        CommandPlayer(["/usr/bin/no-such-player"]).play(silence(0.1), "x")


@pytest.mark.skipif(shutil.which("aplay") is None, reason="alsa-utils not installed")
def test_aplay_without_a_sound_card_is_reported() -> None:
    if Path("/proc/asound/card0").exists():
        pytest.skip("this machine has a sound card")
    with pytest.raises(PlaybackError, match="aplay"):
        make_player("aplay").play(silence(0.2), "x")


def test_hung_player_is_killed_after_the_audio_length_plus_margin() -> None:
    player = CommandPlayer(["sh", "-c", "sleep 30", "sh"], margin_s=0.5)
    started = time.monotonic()
    with pytest.raises(PlaybackError, match="killed"):
        player.play(silence(0.5), "x")
    assert 0.9 < time.monotonic() - started < 3.0


def test_make_player_names(tmp_path: Path) -> None:
    assert isinstance(make_player("file", folder=tmp_path), FilePlayer)
    assert isinstance(make_player("null"), NullPlayer)
    paplay = make_player("paplay", command="paplay --volume 40000")
    assert isinstance(paplay, CommandPlayer)
    assert paplay.command == ("paplay", "--volume", "40000")
    with pytest.raises(ValueError, match="aplay, paplay, file, null"):
        make_player("speaker")
    with pytest.raises(ValueError, match="folder"):
        make_player("file")
