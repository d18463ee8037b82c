"""Finding a service with the letter keys: pinyin initials of its name and of the words
people use for it. Pure.

The on-screen keyboard has letters only, so a citizen types initials: "SBK" finds
社会保障卡申领 (initials shbzksl, in order with gaps), "HZ" (护照) finds 出入境证件申请 and
"GS" (工商) finds 营业执照设立登记 through ``ALIASES``, the everyday words for the catalog's
formal names. The full pinyin ("dengji") and the service code ("SB-0") match too.
"""

from __future__ import annotations

import functools
import re

from kiosk.services import ServiceEntry

ALIASES: dict[str, tuple[str, ...]] = {
    "出入境": ("护照", "港澳通行证", "往来台湾通行证", "签证", "签注"),
    "营业执照": ("工商", "执照", "开公司", "个体户"),
    "市场监管": ("工商",),
    "社会保障卡": ("社保卡", "社保"),
    "养老保险": ("社保", "养老"),
    "医保": ("医疗保险",),
    "医疗保障": ("医保",),
    "门诊慢特病": ("慢病", "医保"),
    "公积金": ("住房公积金",),
    "户口": ("户籍", "落户", "迁户口"),
    "婚姻": ("结婚", "离婚", "结婚证"),
    "不动产": ("房产证", "过户", "房产"),
    "抵押": ("贷款",),
    "税务": ("交税", "报税"),
    "发票": ("开票",),
    "身份证": ("办证",),
    "驾驶": ("驾照",),
    "咨询": ("问询", "服务台"),
}
"""A word in a service's name or category → the words people say for it."""

_HANZI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def aliases(entry: ServiceEntry) -> tuple[str, ...]:
    found: list[str] = []
    for word, said in ALIASES.items():
        if word in entry.name or word in entry.category:
            found += [s for s in said if s not in found]
    return tuple(found)


@functools.cache
def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of ``name`` in lower case; letters and digits kept.

    The readings are the speech driver's (drivers.speech.pinyin: pypinyin, phrase-aware, run
    in a short-lived helper process and cached), so the kiosk does not carry pypinyin's 55 MB
    of dictionaries. ``warm_up`` reads a catalog's names in one helper run, off the GUI thread.
    """
    from drivers.speech.pinyin import NAMES

    initials, full = [], []
    for part in re.finditer(_HANZI_RUN.pattern + r"|[A-Za-z0-9]+", name):
        text = part.group()
        if _HANZI_RUN.fullmatch(text):
            syllables = [s.rstrip("012345") for s in NAMES.read(text)]
            initials += [s[:1] for s in syllables]
            full += syllables
        else:
            initials.append(text)
            full.append(text)
    return _letters("".join(initials)), _letters("".join(full))


def _words(entry: ServiceEntry) -> tuple[str, ...]:
    return (entry.name, *aliases(entry))


def warm_up(entries: list[ServiceEntry]) -> None:
    """Read the names' pinyin ahead of the first search (call it off the GUI thread)."""
    from drivers.speech.pinyin import warm

    words = [w for e in entries for w in _words(e)]
    warm(words)
    for w in words:
        pinyin_keys(w)


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(c in it for c in needle)


def _rank(entry: ServiceEntry, query: str, letters: str) -> int | None:
    """How well ``entry`` matches: 0 from the start of its name or of an everyday word for
    it, 1 inside the name, None not at all."""
    if query in entry.name or query.upper() in entry.code:
        return 0 if entry.name.startswith(query) or entry.code.startswith(query.upper()) else 1
    if any(query in alias for alias in aliases(entry)):
        return 0
    if not letters:
        return None
    initials, full = pinyin_keys(entry.name)
    # an everyday word is typed from its start: HZ is 护照, not the end of 结婚证 (jhz)
    if initials.startswith(letters) or full.startswith(letters):
        return 0
    if any(pinyin_keys(alias)[0].startswith(letters) for alias in aliases(entry)):
        return 0
    if letters in initials or letters in full:
        return 1
    if len(letters) >= 3 and _subsequence(letters, initials):
        return 1
    return None


def search(entries: list[ServiceEntry], query: str) -> list[ServiceEntry]:
    """Entries whose name, code, aliases, pinyin initials or full pinyin contain ``query``,
    those that start with it first (catalog order within each).

    From three letters on, the letters may also be the name's initials in order with gaps,
    as people abbreviate: "sbk" finds 社会保障卡申领 (shbzksl)."""
    q = query.strip()
    if not q:
        return list(entries)
    warm_up(entries)  # one helper run at most, when the background warm-up has not run yet
    letters = _letters(q)
    ranked = [
        (rank, i, e) for i, e in enumerate(entries) if (rank := _rank(e, q, letters)) is not None
    ]
    return [e for _rank_, _i, e in sorted(ranked, key=lambda x: (x[0], x[1]))]
