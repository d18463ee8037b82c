"""Where a line of mixed Chinese and Latin text may break, and wrapping by those places. Pure.

Chinese may break between any two characters by the letter of the rules, but a reader trips
over "对准扫描 / 口" or "湛河区政务服务中 / 心". The printer (tickets on 58 and 80 mm paper)
and the kiosk's screens wrap with the same rules, measured their own way (columns of font A
on paper, pixels on screen):

1. good places: after a space or a closing or pausing mark (，。、；：！？）】 …), before an
   opening bracket, between Chinese and Latin text, and before the words that end hall
   names (政务服务中心, 便民服务站 …);
2. else, as a last resort, between two characters, but never inside a Latin word or number,
   inside one of the ``KEEP`` words, before a closing mark or after an opening one, and never
   leaving one character alone on a line;
3. else (one unbreakable run wider than the line) where it must.

A good place is taken when it leaves the line at least 40 % full; ``balanced`` instead picks
the good place that makes the longest line shortest (for a title on two lines).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

OPENING = "（【「『《〈(["
CLOSING = "）】」』》〉)]}"
PAUSES = "，。、：；！？…—,.:;!?·"
NO_LINE_START = frozenset(CLOSING + PAUSES)

SUFFIXES = (
    "政务服务中心",
    "政务服务大厅",
    "便民服务中心",
    "便民服务站",
    "党群服务中心",
    "行政服务中心",
    "综合服务中心",
    "服务中心",
    "服务站",
)
"""Words that end a hall's name: a name may break before them."""

KEEP = (
    *SUFFIXES,
    "支行",
    "扫描口",
    "二维码",
    "身份证",
    "预约码",
    "预约签到",
    "预约时段",
    "工作人员",
    "服务台",
    "绿色通道",
    "长辈模式",
    "标准模式",
    "拼音首字母",
    "办理时间",
    "打印机",
    "号票",
    "作废",
    "公里",
    "分钟",
)
"""Words never split between lines."""

Fits = Callable[[str], bool]


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _latin(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-:/._%+@#")


def _protected(text: str) -> set[int]:
    """Indices i such that a break before text[i] would split a KEEP word."""
    inside: set[int] = set()
    for word in KEEP:
        start = text.find(word)
        while start >= 0:
            inside.update(range(start + 1, start + len(word)))
            start = text.find(word, start + 1)
    return inside


def good_breaks(text: str) -> set[int]:
    """Indices i where a line may end before text[i] at a good place (rule 1)."""
    found: set[int] = set()
    inside = _protected(text)
    for i in range(1, len(text)):
        before, here = text[i - 1], text[i]
        if here in NO_LINE_START or before in OPENING:
            continue
        if before.isascii() and _latin(here) and not before.isspace():
            continue  # 09:30, 1.5, e.g.: ASCII marks inside Latin text stay with it
        if (
            before == " "
            or before in PAUSES
            or before in CLOSING
            or here in OPENING
            or (is_wide(before) != is_wide(here) and here != " " and i not in inside)
        ):
            found.add(i)
    for word in SUFFIXES:
        start = text.find(word, 1)
        while start > 0:
            if start not in inside:
                found.add(start)
            start = text.find(word, start + 1)
    return {i for i in found if text[:i].strip() and text[i:].strip()}


def last_resort_ok(text: str, i: int) -> bool:
    """A break before text[i] that rule 2 allows."""
    if not 0 < i < len(text):
        return False
    before, here = text[i - 1], text[i]
    if _latin(before) and _latin(here):
        return False
    if here in NO_LINE_START or before in OPENING:
        return False
    if i in _protected(text):
        return False
    return len(text[:i].strip()) >= 2 and len(text[i:].strip()) >= 2


def units(text: str) -> list[str]:
    """The pieces no rule lets a line break inside (the narrowest a text can be set)."""
    text = " ".join(text.split())
    cuts = sorted(good_breaks(text) | {i for i in range(1, len(text)) if last_resort_ok(text, i)})
    pieces = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return [p for p in pieces if p] or [""]


def wrap(text: str, fits: Fits) -> list[str]:
    """``text`` in lines that each ``fits``, broken by the rules above (greedy)."""
    text = " ".join(text.split())
    if not text:
        return [""]
    good = good_breaks(text)
    lines: list[str] = []
    start = 0
    while start < len(text):
        rest = text[start:]
        if fits(rest):
            lines.append(rest)
            break
        end = start + 1
        while end < len(text) and fits(text[start : end + 1]):
            end += 1
        cut = _choose(text, start, end, good)
        lines.append(text[start:cut].rstrip())
        start = cut
        while start < len(text) and text[start] == " ":
            start += 1
    return lines


def _choose(text: str, start: int, end: int, good: set[int]) -> int:
    """Where to end the line that runs from ``start`` and fits up to ``end``."""
    floor = start + max(1, int((end - start) * 0.4))
    for i in range(end, floor - 1, -1):
        if i in good:
            return i
    for i in range(end, start + 1, -1):
        if last_resort_ok(text, i) and last_resort_ok(text[start:], i - start):
            return i
    return end


def balanced(text: str, fits: Fits, width: Callable[[str], float]) -> list[str] | None:
    """``text`` on one line, or on two lines broken at the good place that makes the longer
    line shortest; None when neither fits."""
    text = " ".join(text.split())
    if fits(text):
        return [text]
    best: tuple[float, list[str]] | None = None
    for i in sorted(good_breaks(text)):
        lines = [text[:i].rstrip(), text[i:].lstrip()]
        if all(fits(line) for line in lines):
            longest = max(width(line) for line in lines)
            if best is None or longest < best[0]:
                best = (longest, lines)
    return best[1] if best else None
