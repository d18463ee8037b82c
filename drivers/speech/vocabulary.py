"""The hall's words that pypinyin reads wrong, with the right readings (tone-numbered).

pypinyin is phrase-aware, but its phrase dictionary misses some words of a service hall
and then falls back to each character's most common reading: 还款 becomes "hai2 kuan3"
(还 as in 还有), 调档 "tiao2 dang4" (调 as in 调整), 重呼 "zhong4 hu1". Each entry here is
a word pypinyin misreads, as the hall's staff would say it; `load` puts them into
pypinyin's phrase dictionary (`pypinyin.load_phrases_dict`), so its segmentation finds
them inside longer names too ("公积金贷款还款" reads "... dai4 kuan3 huan2 kuan3").

Adding a word: check pypinyin's reading first (`python -m drivers.speech.pinyin_helper
WORD`); add it here only when it is wrong, and add the name it came from to the golden
readings in tests/speech/golden_readings.py, which every catalog's service names and every
example config's counter names must match.
"""

from __future__ import annotations

import threading

OVERRIDES: dict[str, str] = {
    # 还 huán (to pay back), not hái (still)
    "还款": "huan2 kuan3",
    "还息": "huan2 xi1",
    "还建": "huan2 jian4",
    "还建房": "huan2 jian4 fang2",
    # 调 diào (to transfer, to fetch), not tiáo (to adjust)
    "调档": "diao4 dang4",
    "调档函": "diao4 dang4 han2",
    # 重 chóng (again), not zhòng (heavy)
    "重呼": "chong2 hu1",
    "重叫": "chong2 jiao4",
    "重办": "chong2 ban4",
    "重打": "chong2 da3",
    "重发": "chong2 fa1",
    "重签": "chong2 qian1",
    "重录": "chong2 lu4",
    # 差 chāi (errand), not chà
    "差旅": "chai1 lv3",
}

_loaded = False
_lock = threading.Lock()


def tone_marks(reading: str) -> list[list[str]]:
    """ "huan2 kuan3" as pypinyin's phrase-dictionary value: [["huán"], ["kuǎn"]]."""
    from pypinyin.contrib.tone_convert import to_tone

    return [[to_tone(syllable)] for syllable in reading.split()]


def load() -> None:
    """Put `OVERRIDES` into pypinyin's phrase dictionary (once per process)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        from pypinyin import load_phrases_dict

        load_phrases_dict({word: tone_marks(reading) for word, reading in OVERRIDES.items()})
        _loaded = True
