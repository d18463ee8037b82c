"""Pinyin for espeak-ng's cmn-latn-pinyin voice, checked against espeak-ng itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drivers.speech import pinyin
from drivers.speech.pinyin import LETTER_PINYIN, WORDS, pypinyin_syllables, to_pinyin
from drivers.speech.text import Call, Phrase, backlog_phrase, call_phrase

from .helpers import espeak_phonemes


@pytest.mark.parametrize(
    ("call", "pinyin"),
    [
        (
            Call("A012", "3"),
            "qing3 ei1, ling2 yi1 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            Call("B7", "12"),
            "qing3 bi4, qi1 hao4 dao4 shi2 er4 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            Call("F001", "1", "婚姻登记处"),
            "qing3 ai2 fu2, ling2 ling2 yi1 hao4 dao4 hun1 yin1 deng1 ji4 chu4 ban4 li3",
        ),
    ],
)
def test_call_pinyin(call: Call, pinyin: str) -> None:
    assert to_pinyin(call_phrase(call).tokens) == pinyin


def test_backlog_pause_is_a_comma() -> None:
    phrase = backlog_phrase(["A012", "A013"], "3", None)
    assert to_pinyin(phrase.tokens) == (
        "qing3 ei1, ling2 yi1 er4, ei1, ling2 yi1 san1 hao4 dao4 san1 hao4 chuang1 kou3"
    )


def test_every_letter_has_pinyin() -> None:
    assert sorted(LETTER_PINYIN) == [chr(c) for c in range(ord("A"), ord("Z") + 1)]


def test_odd_characters_are_dropped_or_paused() -> None:
    assert to_pinyin(["请", "（", "★", "到"]) == "qing3, dao4"


SENTENCES = [
    call_phrase(Call("A012", "3")),
    call_phrase(Call("Z999", "108", None)),
    call_phrase(Call("H050", "7", "不动产登记 B区")),
    backlog_phrase(["A012", "A013", "A014"], "3", None),
]


@pytest.mark.parametrize("phrase", SENTENCES, ids=lambda p: p.display)
def test_pinyin_voice_never_switches_to_english(phrase: Phrase) -> None:
    phonemes = espeak_phonemes("cmn-latn-pinyin", to_pinyin(phrase.tokens))
    assert phonemes.strip()
    assert "(en)" not in phonemes, phonemes


def test_no_letter_switches_to_english() -> None:
    text = ", ".join(LETTER_PINYIN.values())
    phonemes = espeak_phonemes("cmn-latn-pinyin", text)
    assert "(en)" not in phonemes, phonemes


def test_voice_cmn_with_hanzi_does_switch_to_english() -> None:
    """Why we convert: Debian 12's `cmn` reads 请 as "qing three" and Latin as English."""
    phonemes = espeak_phonemes("cmn", call_phrase(Call("A012", "3")).spoken)
    assert "(en)" in phonemes, phonemes


def test_the_words_of_every_call_read_as_pypinyin_reads_them() -> None:
    for word, syllables in WORDS.items():
        assert pypinyin_syllables(word) == syllables.split(), word


def test_names_are_read_in_a_helper_so_pypinyin_stays_out_of_the_process() -> None:
    code = (
        "import sys; from drivers.speech.pinyin import to_pinyin, warm;"
        "warm(['婚姻登记处', '3号窗口']);"
        "print(to_pinyin(['请', 'A', '十二', '号', '重庆银行']), 'pypinyin' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split() == [
        "qing3",
        "ei1,",
        "shi2",
        "er4",
        "hao4",
        "chong2",
        "qing4",
        "yin2",
        "hang2",
        "False",
    ]  # phrase-aware (重庆 chong2, 银行 hang2), yet this process never imported pypinyin


def test_a_failing_helper_falls_back_to_pypinyin_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cannot_start(*args: object, **kwargs: object) -> None:
        raise OSError("no python here")

    monkeypatch.setattr(pinyin.subprocess, "run", cannot_start)
    readings = pinyin.NameReadings()
    assert readings.read("婚姻登记处") == ["hun1", "yin1", "deng1", "ji4", "chu4"]
    assert readings.read("综合窗口") == ["zong1", "he2", "chuang1", "kou3"]
