"""Tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice.

Debian 12's espeak-ng 1.51 voice `cmn` reads hanzi with English tone numbers ("qing three")
and switches to English for Latin letters; `espeak-ng -x` shows that switch as `(en)`. The
voice `cmn-latn-pinyin`, given tone-numbered pinyin ("qing3 hao4"), reads Mandarin
throughout. pypinyin (phrase-aware, so 登记处 is "deng1 ji4 chu4") does the conversion.

Letters: Mandarin announcements read a ticket letter as the English letter name ("A" as
"ei", "B" as "bi"), not as the pinyin vowel. The pinyin voice would read a bare "A" as "a",
so each letter is spelled as the pinyin syllables that sound like its English name
(`LETTER_PINYIN`), the way people in China say them aloud: A ei1, B bi4, F ai2 fu4 ...
Every syllable in the table is checked by a test against espeak-ng for an `(en)` switch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

_log = logging.getLogger(__name__)

LETTER_PINYIN: dict[str, str] = {
    "A": "ei1",
    "B": "bi4",
    "C": "xi4",
    "D": "di4",
    "E": "yi4",
    "F": "ai2 fu4",
    "G": "ji4",
    "H": "ai2 qi1",
    "I": "ai4",
    "J": "jie4",
    "K": "kei4",
    "L": "ai2 le4",
    "M": "ai2 mu4",
    "N": "en1",
    "O": "ou1",
    "P": "pi4",
    "Q": "qiu1",
    "R": "a1 er4",
    "S": "ai2 si4",
    "T": "ti4",
    "U": "you1",
    "V": "wei1",
    "W": "da2 bu4 liu4",
    "X": "ai2 ke4 si4",
    "Y": "wai4",
    "Z": "zei4",
}
DIGIT_PINYIN = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
PAUSE = ","

_HANZI = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_SEGMENT = re.compile(rf"(?P<hanzi>{_HANZI}+)|(?P<letter>[A-Za-z])|(?P<digit>[0-9])|(?P<other>.)")
_SYLLABLE = re.compile(r"[a-z]+[1-5]")
_PAUSES = set("、，,。.；;：:（）()!！?？")


def to_pinyin(tokens: Iterable[str]) -> str:
    """The tokens of a phrase as one line of tone-numbered pinyin, pauses as commas."""
    words: list[str] = []
    for token in tokens:
        words.extend(_token_pinyin(token))
    text = " ".join(words)
    return re.sub(r"\s+,", ",", text).strip(" ,")


def _token_pinyin(token: str) -> list[str]:
    words: list[str] = []
    for match in _SEGMENT.finditer(token):
        kind = match.lastgroup
        value = match.group()
        if kind == "hanzi":
            words.extend(_hanzi_pinyin(value))
        elif kind == "letter":
            words.append(LETTER_PINYIN[value.upper()])
        elif kind == "digit":
            words.append(DIGIT_PINYIN[int(value)])
        elif value in _PAUSES:
            words.append(PAUSE)
        elif not value.isspace():
            _log.warning("dropping a character the pinyin voice cannot read: U+%04X", ord(value))
    return words


def _hanzi_pinyin(run: str) -> list[str]:
    syllables = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
    result: list[str] = []
    for syllable in syllables:
        if _SYLLABLE.fullmatch(syllable):
            result.append(syllable)
        else:
            _log.warning("no pinyin for %r; dropped", syllable)
    return result
