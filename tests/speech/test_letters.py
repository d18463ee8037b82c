"""Ticket letters cannot be heard as digits: no letter's reading is or ends in a digit's
syllable (in any tone), and a pause stands between the letter and the digits."""

from __future__ import annotations

import re
import string

import pytest

from drivers.speech.pinyin import LETTER_PINYIN, to_pinyin
from drivers.speech.text import Call, call_phrase, ticket_tokens

from .helpers import espeak_phonemes

#: How Mandarin says the digits, 幺 (1) and 两 (2) included (tones as in counting).
DIGIT_SYLLABLES = [
    "ling2",
    "yi1",
    "yao1",
    "er4",
    "liang3",
    "san1",
    "si4",
    "wu3",
    "liu4",
    "qi1",
    "ba1",
    "jiu3",
    "shi2",
]


def toneless(syllable: str) -> str:
    return syllable.rstrip("012345")


DIGIT_SOUNDS = {toneless(s) for s in DIGIT_SYLLABLES}


@pytest.mark.parametrize("letter", string.ascii_uppercase)
def test_no_letter_is_or_ends_in_a_digit_syllable(letter: str) -> None:
    syllables = LETTER_PINYIN[letter].split()
    assert syllables, letter
    assert toneless(syllables[-1]) not in DIGIT_SOUNDS, (letter, LETTER_PINYIN[letter])
    assert all(re.fullmatch(r"[a-z]+[1-5]", s) for s in syllables), syllables


@pytest.mark.parametrize("letter", string.ascii_uppercase)
def test_a_pause_stands_between_the_letter_and_the_digits(letter: str) -> None:
    reading = to_pinyin(ticket_tokens(f"{letter}001"))
    assert reading == f"{LETTER_PINYIN[letter]}, ling2 ling2 yi1"


def test_the_sounds_espeak_makes_of_each_letter_end_in_no_digit() -> None:
    """The same check on what espeak-ng will say: the phonemes of each letter's last
    syllable, without tone and stress, are none of the digits' phonemes."""

    def core(pinyin: str) -> str:
        return re.sub(r"[0-9'_|,\s]", "", espeak_phonemes("cmn-latn-pinyin", pinyin))

    digits = {core(s) for s in DIGIT_SYLLABLES}
    for letter, reading in LETTER_PINYIN.items():
        last = reading.split()[-1]
        assert core(last) not in digits, (letter, reading, core(last))


def test_h001_is_not_heard_as_qi_ling_ling_yi() -> None:
    text = to_pinyin(call_phrase(Call("H001", "3")).tokens)
    assert text.startswith("qing3 ai4 chi3, ling2 ling2 yi1 hao4")
    assert "qi1 ling2" not in text


def test_a_letter_in_a_counter_id_is_set_apart_too() -> None:
    text = to_pinyin(call_phrase(Call("S020", "B3")).tokens)
    assert text == "qing3 ai4 se5, ling2 er4 ling2 hao4 dao4 bi4, san1 hao4 chuang1 kou3 ban4 li3"
