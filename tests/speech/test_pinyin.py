"""Pinyin for espeak-ng's cmn-latn-pinyin voice, checked against espeak-ng itself."""

from __future__ import annotations

import pytest

from drivers.speech.pinyin import LETTER_PINYIN, to_pinyin
from drivers.speech.text import Call, Phrase, backlog_phrase, call_phrase

from .helpers import espeak_phonemes


@pytest.mark.parametrize(
    ("call", "pinyin"),
    [
        (
            Call("A012", "3"),
            "qing3 ei1 ling2 yi1 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            Call("B7", "12"),
            "qing3 bi4 qi1 hao4 dao4 shi2 er4 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            Call("F001", "1", "婚姻登记处"),
            "qing3 ai2 fu4 ling2 ling2 yi1 hao4 dao4 hun1 yin1 deng1 ji4 chu4 ban4 li3",
        ),
    ],
)
def test_call_pinyin(call: Call, pinyin: str) -> None:
    assert to_pinyin(call_phrase(call).tokens) == pinyin


def test_backlog_pause_is_a_comma() -> None:
    phrase = backlog_phrase(["A012", "A013"], "3", None)
    assert to_pinyin(phrase.tokens) == (
        "qing3 ei1 ling2 yi1 er4, ei1 ling2 yi1 san1 hao4 dao4 san1 hao4 chuang1 kou3"
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
