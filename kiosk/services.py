"""The home screen's services: catalog + board joined, grouped, searched, open or closed.

Pure: built from the hub's retained ``catalog`` and ``board`` payloads (hall.hubapi.protocol)
and a local time. Search matches the name, the service code, the full pinyin or the pinyin
initials (社会保障卡申领 is "shbzksl"), so a citizen can type "SBK" on the letter keys.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any


@dataclass(frozen=True)
class Span:
    days: frozenset[int]  # 1 = Monday
    start: time
    end: time

    def covers(self, at: datetime) -> bool:
        return at.isoweekday() in self.days and self.start <= at.time() < self.end


@dataclass(frozen=True)
class ServiceEntry:
    code: str
    name: str
    category: str
    hours: tuple[Span, ...]
    hours_text: str
    waiting: int = 0
    est_wait_min: int | None = None
    open_counters: int = 0

    def is_open(self, at: datetime) -> bool:
        return any(span.covers(at) for span in self.hours)


_HANZI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


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


def warm_up(entries: list[ServiceEntry]) -> None:
    """Read the names' pinyin ahead of the first search (call it off the GUI thread)."""
    from drivers.speech.pinyin import warm

    warm(e.name for e in entries)
    for e in entries:
        pinyin_keys(e.name)


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def _days(value: Any) -> frozenset[int]:
    if isinstance(value, list):
        return frozenset(int(d) for d in value if isinstance(d, int) and 1 <= d <= 7)
    from hall.core.catalog import CatalogError, parse_days

    try:
        return parse_days(str(value))
    except CatalogError:
        return frozenset()


def _hhmm(value: Any) -> time | None:
    try:
        return datetime.strptime(str(value), "%H:%M").time()
    except ValueError:
        return None


def _spans(raw: Any) -> tuple[Span, ...]:
    spans: list[Span] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        start, end = _hhmm(item.get("from")), _hhmm(item.get("to"))
        if start is not None and end is not None:
            spans.append(Span(_days(item.get("days")), start, end))
    return tuple(spans)


def build_entries(
    catalog: dict[str, Any] | None, board: dict[str, Any] | None
) -> list[ServiceEntry]:
    """The catalog's services in catalog order, with the board's waiting figures."""
    loads: dict[str, dict[str, Any]] = {}
    for item in (board or {}).get("services", []) or []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            loads[item["code"]] = item
    entries: list[ServiceEntry] = []
    for raw in (catalog or {}).get("services", []) or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            continue
        load = loads.get(raw["code"], {})
        est = load.get("est_wait_min")
        entries.append(
            ServiceEntry(
                code=raw["code"],
                name=str(raw.get("name", raw["code"])),
                category=str(raw.get("category", "")),
                hours=_spans(raw.get("hours")),
                hours_text=str(raw.get("hours_text", "")),
                waiting=int(load.get("waiting", 0) or 0),
                est_wait_min=int(est) if isinstance(est, int | float) else None,
                open_counters=int(load.get("open_counters", 0) or 0),
            )
        )
    return entries


def categories(entries: list[ServiceEntry]) -> list[str]:
    """The categories in the order their first service appears."""
    seen: dict[str, None] = {}
    for e in entries:
        seen.setdefault(e.category, None)
    return [c for c in seen if c]


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(c in it for c in needle)


def search(entries: list[ServiceEntry], query: str) -> list[ServiceEntry]:
    """Entries whose name, code, pinyin initials or full pinyin contain ``query``.

    From three letters on, the letters may also be initials in order with gaps, as people
    abbreviate: "sbk" finds 社会保障卡申领 (shbzksl).
    """
    q = query.strip()
    if not q:
        return list(entries)
    warm_up(entries)  # one helper run at most, when the background warm-up has not run yet
    letters = _letters(q)
    found = []
    for e in entries:
        initials, full = pinyin_keys(e.name)
        if (
            q in e.name
            or q.upper() in e.code
            or (letters and (letters in initials or letters in full))
            or (len(letters) >= 3 and _subsequence(letters, initials))
        ):
            found.append(e)
    return found


def open_now(entries: list[ServiceEntry], at: datetime) -> bool:
    """True when at least one service takes tickets at ``at``."""
    return any(e.is_open(at) for e in entries)


def hours_lines(entries: list[ServiceEntry]) -> list[str]:
    """The distinct opening hours texts, for the closed screen."""
    seen: dict[str, None] = {}
    for e in entries:
        if e.hours_text:
            seen.setdefault(e.hours_text, None)
    return list(seen)
