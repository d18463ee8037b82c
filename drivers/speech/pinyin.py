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
    if run in WORDS:
        return WORDS[run].split()
    if all(char in WORDS for char in run):  # a cardinal such as 十二
        return [WORDS[char] for char in run]
    return NAMES.read(run)


def pypinyin_syllables(run: str) -> list[str]:
    """pypinyin's reading of a run of hanzi, phrase-aware (loads its dictionaries)."""
    from pypinyin import Style, lazy_pinyin

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
