"""Tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice.

Debian 12's espeak-ng 1.51 voice `cmn` reads hanzi with English tone numbers ("qing three")
and switches to English for Latin letters; `espeak-ng -x` shows that switch as `(en)`. The
voice `cmn-latn-pinyin`, given tone-numbered pinyin ("qing3 hao4"), reads Mandarin
throughout. pypinyin (phrase-aware, so 登记处 is "deng1 ji4 chu4") does the conversion.

Letters: Mandarin announcements read a ticket letter as the English letter name ("A" as
"ei", "B" as "bi"), not as the pinyin vowel. The pinyin voice would read a bare "A" as "a",
so each letter is spelled as the pinyin syllables that sound like its English name
(`LETTER_PINYIN`), the way people in China say them aloud: A ei1, B bi4, F ai2 fu2 ...
except where that name is, or ends in, a digit's syllable, which the digits that follow
would swallow: "H001" read "ai2 qi1 ling2 ling2 yi1" is heard as 七零零一. So no reading
ends in ling yi yao er liang san si wu liu qi ba jiu shi (in any tone; a test keeps it so):
E takes its pinyin-alphabet name e2 (鹅, learned by every school child: the English name
is 一's syllable), H is ai4 chi3 (艾尺), R ar1 (one syllable, level tone, unlike 二's fall),
S ai4 se5 and X ai4 ke4 se5 (a toneless schwa after the s, not 四), W da2 bu5 you1. And a
pause always stands between a letter and the digits after it (`to_pinyin`, and the voice
pack's join). Every syllable in the table is checked by a test against espeak-ng for an
`(en)` switch.

Polyphones: pypinyin reads some hall words wrong (还款 hai2 kuan3, 调档 tiao2 dang4, 重呼
zhong4 hu1). `drivers.speech.vocabulary.OVERRIDES` holds the right readings and is loaded
into pypinyin's phrase dictionary (`load_phrases_dict`) wherever pypinyin is loaded, so
phrase segmentation finds them inside longer names too (公积金贷款还款).

Memory: pypinyin's phrase dictionary takes about 55 MB in the process that loads it, a
quarter of the display's budget. So the words every call uses (请 号 到 窗口 办理 and the
numerals) come from a small table (`WORDS`, checked against pypinyin by a test), and any
other hanzi (counter names) are read by pypinyin in a short-lived helper process
(`python -m drivers.speech.pinyin_helper`), once per name, cached. `warm(names)` reads a hall's
counter names ahead, off the announcement's path. If the helper cannot run, pypinyin is
loaded in this process after all (correct, only heavier).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Iterable

_log = logging.getLogger(__name__)

LETTER_PINYIN: dict[str, str] = {
    "A": "ei1",
    "B": "bi4",
    "C": "xi4",
    "D": "di4",
    "E": "e2",
    "F": "ai2 fu2",
    "G": "ji4",
    "H": "ai4 chi3",
    "I": "ai4",
    "J": "jie4",
    "K": "kei4",
    "L": "ai2 le4",
    "M": "ai2 mu4",
    "N": "en1",
    "O": "ou1",
    "P": "pi4",
    "Q": "qiu1",
    "R": "ar1",
    "S": "ai4 se5",
    "T": "ti4",
    "U": "you1",
    "V": "wei1",
    "W": "da2 bu5 you1",
    "X": "ai4 ke4 se5",
    "Y": "wai4",
    "Z": "zei4",
}
DIGIT_PINYIN = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_NUMERAL_CHARS = frozenset("零一二三四五六七八九十百千万0123456789")
PAUSE = ","
WORDS: dict[str, str] = {
    "请": "qing3",
    "号": "hao4",
    "到": "dao4",
    "窗口": "chuang1 kou3",
    "办理": "ban4 li3",
    **dict(zip("零一二三四五六七八九", DIGIT_PINYIN, strict=True)),
    "十": "shi2",
    "百": "bai3",
    "千": "qian1",
    "万": "wan4",
}
"""The words of every call, as pypinyin reads them (a test keeps them equal)."""
HELPER_TIMEOUT_S = 10.0

_HANZI = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_SEGMENT = re.compile(rf"(?P<hanzi>{_HANZI}+)|(?P<letter>[A-Za-z])|(?P<digit>[0-9])|(?P<other>.)")
_SYLLABLE = re.compile(r"[a-z]+[1-5]")
_PAUSES = set("、，,。.；;：:（）()!！?？")


def to_pinyin(tokens: Iterable[str]) -> str:
    """The tokens of a phrase as one line of tone-numbered pinyin, pauses as commas; a
    pause between a letter and the digits after it ("H001": "ai4 chi3, ling2 ling2 yi1")."""
    words: list[str] = []
    last = ""
    for token in tokens:
        for kind, value in _segments(token):
            if last == "letter" and kind in ("digit", "numeral"):
                words.append(PAUSE)
            words.extend(_segment_pinyin(kind, value))
            last = kind
    text = " ".join(words)
    return re.sub(r"\s+,", ",", text).strip(" ,")


def letter_before_digit(previous: str, token: str) -> bool:
    """Whether a pause belongs between token `previous` and `token`: a letter, then digits
    (the voice pack's join, like `to_pinyin`)."""
    return previous[-1:].isascii() and previous[-1:].isalpha() and token[:1] in _NUMERAL_CHARS


def _segments(token: str) -> Iterable[tuple[str, str]]:
    """A token's runs: ("hanzi" | "numeral" | "letter" | "digit" | "other", text)."""
    for match in _SEGMENT.finditer(token):
        kind, value = match.lastgroup or "other", match.group()
        if kind == "hanzi" and value[0] in _NUMERAL_CHARS:
            yield "numeral", value
        else:
            yield kind, value


def _segment_pinyin(kind: str, value: str) -> list[str]:
    if kind in ("hanzi", "numeral"):
        return _hanzi_pinyin(value)
    if kind == "letter":
        return LETTER_PINYIN[value.upper()].split()
    if kind == "digit":
        return [DIGIT_PINYIN[int(value)]]
    if value in _PAUSES:
        return [PAUSE]
    if not value.isspace():
        _log.warning("dropping a character the pinyin voice cannot read: U+%04X", ord(value))
    return []


def _hanzi_pinyin(run: str) -> list[str]:
    if run in WORDS:
        return WORDS[run].split()
    if all(char in WORDS for char in run):  # a cardinal such as 十二
        return [WORDS[char] for char in run]
    return NAMES.read(run)


def pypinyin_syllables(run: str) -> list[str]:
    """pypinyin's reading of a run of hanzi, phrase-aware (loads its dictionaries), with
    the hall's own words (`drivers.speech.vocabulary`) read right."""
    from pypinyin import Style, lazy_pinyin

    from .vocabulary import load

    load()

    syllables = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
    result: list[str] = []
    for syllable in syllables:
        if _SYLLABLE.fullmatch(syllable):
            result.append(syllable)
        else:
            _log.warning("no pinyin for %r; dropped", syllable)
    return result


class NameReadings:
    """Readings of counter names (any hanzi outside `WORDS`), from a helper process, cached."""

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._in_process = False

    def read(self, run: str) -> list[str]:
        with self._lock:
            if run not in self._cache:
                self._cache.update(self._fetch([run]))
            return list(self._cache[run])

    def warm(self, names: Iterable[str]) -> None:
        """Read the hanzi runs of `names` ahead (one helper process for all of them)."""
        runs = {m.group() for name in names for m in re.finditer(_HANZI + "+", name)}
        with self._lock:
            missing = sorted(r for r in runs if r not in self._cache and not set(r) <= set(WORDS))
            if missing:
                self._cache.update(self._fetch(missing))

    def _fetch(self, runs: list[str]) -> dict[str, list[str]]:
        if not self._in_process:
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "drivers.speech.pinyin_helper", *runs],
                    capture_output=True,
                    text=True,
                    encoding="utf-8",
                    timeout=HELPER_TIMEOUT_S,
                    check=True,
                )
                found: dict[str, list[str]] = json.loads(done.stdout)
                if set(found) >= set(runs):
                    return found
                raise ValueError("helper left some names out")
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                _log.warning("pinyin helper failed (%s); reading names in this process", exc)
                self._in_process = True
        return {run: pypinyin_syllables(run) for run in runs}


NAMES = NameReadings()


def warm(names: Iterable[str]) -> None:
    """Read counter names ahead so that their first announcement does not wait."""
    NAMES.warm(names)
