"""The [display] section: defaults, the speech table, errors that name the key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from appliance import config
from display.speech import build_announcer, speech_settings
from drivers.speech import QuietHours, VolumeStep

HEAD = """
[hall]
id = "410411-ZH01"
name = "湛河区政务服务中心"

[[counters]]
id = "3"
services = ["YB-001"]
"""


def load(tmp_path: Path, text: str) -> config.HallConfig:
    path = tmp_path / "hall.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return config.load(path)


def test_defaults(tmp_path: Path) -> None:
    d = load(tmp_path, "").display
    assert (d.id, d.layout, d.highlight_seconds, d.show_masked_names) == (
        "display-1",
        "landscape",
        8.0,
        False,
    )
    s = d.speech
    assert (s.engine, s.voice, s.repeats, s.backlog_limit, s.player) == (
        "espeak-ng",
        "cmn-latn-pinyin",
        2,
        3,
        "aplay",
    )
    assert speech_settings(s).volume == (VolumeStep(time(0), 1.0),)


def test_speech_table_becomes_the_announcer_settings(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
[display]
layout = "portrait"
highlight_seconds = 5

[display.speech]
repeats = 3
backlog_limit = 4
volume = [{ from = "00:00", level = 0.3 }, { from = "08:30", level = 1 }]
quiet_hours = [{ from = "12:00", to = "13:30" }, { from = "22:00", to = "07:00", mode = "silent" }]
player = "file"
output_dir = "spoken"
""",
    )
    settings = speech_settings(cfg.display.speech)
    assert (settings.repeats, settings.backlog_limit) == (3, 4)
    assert settings.volume == (VolumeStep(time(0), 0.3), VolumeStep(time(8, 30), 1.0))
    assert settings.quiet_hours == (
        QuietHours(time(12), time(13, 30), "chime"),
        QuietHours(time(22), time(7), "silent"),
    )
    announcer = build_announcer(cfg.display, cfg.base, cfg.tz)
    assert announcer is not None and announcer.settings == settings
    assert (tmp_path / "spoken").is_dir()  # the file player's folder, relative to the config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[display]\nlayout = "sideways"', "display.layout"),
        ("[display]\nhighlight_seconds = 0", "display.highlight_seconds"),
        ("[display]\ncolour = 1", "'display.colour' is not a known setting"),
        ("[display.speech]\nrepeats = 9", "display.speech.repeats"),
        ('[display.speech]\nengine = "say"', "display.speech.engine"),
        ('[display.speech]\nplayer = "speaker"', "display.speech.player"),
        ('[display.speech]\nquiet_hours = [{ from = "12:00", to = "24:00" }]', "quiet_hours.0.to"),
        ('[display.speech]\nvolume = [{ from = "8:00", level = 1 }]', "volume.0.from"),
        ('[display.speech]\nvolume = [{ from = "08:00", level = 2 }]', "volume.0.level"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        load(tmp_path, text)


def test_speech_off_means_no_announcer(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[display.speech]\nenabled = false")
    assert build_announcer(cfg.display, cfg.base, cfg.tz) is None


def test_a_missing_voice_pack_is_a_clear_error(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[display.speech]\nvoice_pack = "no-such-pack"')
    with pytest.raises(ValueError, match="voice pack folder not found"):
        build_announcer(cfg.display, cfg.base, cfg.tz)


def test_a_voice_pack_folder_relative_to_the_config(tmp_path: Path) -> None:
    from array import array

    from drivers.speech import Audio
    from drivers.speech.voicepack import VoicePackEngine

    pack = tmp_path / "voice"
    pack.mkdir()
    Audio(16000, array("h", [8000, -8000] * 1600)).write(pack / "号.wav")
    cfg = load(tmp_path, '[display.speech]\nvoice_pack = "voice"\nplayer = "null"')
    announcer = build_announcer(cfg.display, cfg.base, cfg.tz)
    assert announcer is not None
    engine = announcer._engine
    assert isinstance(engine, VoicePackEngine) and engine.folder == pack.resolve()
    assert engine.has("号") and not engine.has("请")  # the built-in engine speaks the rest
