"""What the display says, through espeak-ng: Mandarin throughout, audible, of sensible length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from appliance.local import LocalHall
from display.app import make_app
from display.calls import parse_call
from drivers.speech import read_wav
from drivers.speech.pinyin import to_pinyin
from hall.hubapi.client import HallClient
from tests.speech.helpers import assert_speech, espeak_phonemes

from .conftest import issue
from .helpers import call


def hall_sentences(hall: LocalHall) -> list[str]:
    """A call to every counter of the sample hall, with every ticket letter it issues."""
    catalog = json.loads(hall.cfg.catalog_path.read_text(encoding="utf-8"))
    prefixes = sorted({s["prefix"] for s in catalog["services"]})
    out = []
    for index, counter in enumerate(hall.cfg.counters):
        prefix = prefixes[index % len(prefixes)]
        shown = counter.name or f"{counter.id}号窗口"
        view = parse_call(call(f"{prefix}{index:03d}", counter.id, counter_name=shown))
        from drivers.speech.text import call_phrase

        out.append(to_pinyin(call_phrase(view.to_speech()).tokens))
    return out


def test_no_announcement_of_the_hall_switches_to_english(hall: LocalHall) -> None:
    sentences = hall_sentences(hall)
    assert len(sentences) == len(hall.cfg.counters)
    phonemes = espeak_phonemes("cmn-latn-pinyin", "\n".join(sentences))
    assert phonemes.strip()
    assert "(en)" not in phonemes, phonemes


def test_the_display_writes_audible_announcements(
    tmp_path: Path, hall: LocalHall, pad: HallClient, qtbot: QtBot
) -> None:
    from display.settings import DisplaySection, SpeechSection

    cfg = hall.cfg.model_copy(
        update={"display": DisplaySection(speech=SpeechSection(player="file"))}  # type: ignore[call-arg]
    )
    issue(hall, "YB-001", "HY-001")
    bus = hall.bus("display-1", "display")
    app = make_app(bus, cfg)
    qtbot.addWidget(app.window)
    app.start()
    try:
        pad.execute("call_next", {"counter": "3"})
        pad.execute("call_next", {"counter": "9"})
        qtbot.waitUntil(
            lambda: app.announcer is not None and app.announcer.announced == 2, timeout=20000
        )
    finally:
        app.close()
    folder = cfg.base / "announcements"
    assert (folder / "001.txt").read_text(encoding="utf-8") == "请 B001 号到 3 号窗口办理\n"
    assert (folder / "002.txt").read_text(encoding="utf-8") == "请 J001 号到婚姻登记处办理\n"
    for name in ("001.wav", "002.wav"):
        # chime (1.45 s) + the sentence twice (about 3.5 s each) + two gaps
        assert_speech(read_wav(folder / name), 6.0, 14.0)
    assert app.reporter is not None and app.reporter.wait_sent(5)
    assert hall.store.state.devices["display-1/speech"].ok is True
    assert hall.store.state.devices["display-1/audio"].ok is True


@pytest.mark.parametrize("counter_name", ["不动产登记 B区", "3楼 社保窗口"])
def test_counter_names_with_latin_letters_and_digits_stay_mandarin(counter_name: str) -> None:
    from drivers.speech.text import call_phrase

    view = parse_call(call("W108", "11", counter_name=counter_name))
    phonemes = espeak_phonemes("cmn-latn-pinyin", to_pinyin(call_phrase(view.to_speech()).tokens))
    assert "(en)" not in phonemes, phonemes
