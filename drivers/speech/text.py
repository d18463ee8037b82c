"""The words of a spoken call: a pure function from a call to the sentence halls speak.

Reading rules, as Chinese service halls read them:

- The ticket number letter by letter and digit by digit: "A012" is "A 零 一 二 号".
- The counter number as a cardinal: counter "12" is "十二 号 窗口". A counter id that is not
  a plain number ("B3") is read character by character like a ticket number.
- A counter name as written ("婚姻登记处") takes the place of "N 号窗口"; digits inside a
  name are read as cardinals ("3楼" is "三 楼").
- Full form: "请 A012 号到 3 号窗口办理". Shortened form for a backlog, several numbers for
  the same counter in one sentence, without "办理": "请 A012、A013 号到 3 号窗口".
- A recall is spoken with the same words as the first call. People recognise the repeated
  sentence, the display marks the recall, and a recorded voice pack needs no extra clips.

Letters stay Latin capitals in the tokens; how a letter sounds is the pinyin layer's
decision (`drivers.speech.pinyin.LETTER_PINYIN`: the English letter name, spelled as pinyin
syllables, e.g. A is "ei1", B is "bi4", as Mandarin announcements read them).

The result is a `Phrase`: the tokens to speak (what a voice pack looks up as clips, and what
the pinyin layer converts) and the text to show or log beside the audio.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DIGITS = "零一二三四五六七八九"
PAUSE = "、"

_TICKET = re.compile(r"[A-Z]{0,3}[0-9]{1,6}")
_COUNTER = re.compile(r"[A-Z0-9]{1,8}")
_MAX_NAME = 24


@dataclass(frozen=True)
class Call:
    """One call or recall of a ticket to a counter, as the display receives it."""

    ticket: str
    counter_id: str
    counter_name: str | None = None
    recall: bool = False


@dataclass(frozen=True)
class Phrase:
    """A sentence to speak: `tokens` for the engines, `display` for people and logs."""

    tokens: tuple[str, ...]
    display: str

    @property
    def spoken(self) -> str:
        """The tokens joined by spaces: the sentence as it is read, in hanzi."""
        return " ".join(self.tokens)


def cardinal(number: int) -> str:
    """0..99999999 as a Chinese cardinal: 12 is 十二, 101 is 一百零一, 110 is 一百一十."""
    if not 0 <= number <= 99_999_999:
        raise ValueError(f"cardinal out of range 0..99999999: {number}")
    if number == 0:
        return DIGITS[0]
    high, low = divmod(number, 10_000)
    if high == 0:
        return _below_10000(low, leading=True)
    text = _below_10000(high, leading=True) + "万"
    if low:
        text += (DIGITS[0] if low < 1000 else "") + _below_10000(low, leading=False)
    return text


def _below_10000(number: int, *, leading: bool) -> str:
    units = ("千", "百", "十", "")
    digits = f"{number:04d}"
    parts: list[str] = []
    zero_pending = False
    for digit_char, unit in zip(digits, units, strict=True):
        digit = int(digit_char)
        if digit == 0:
            zero_pending = bool(parts)
            continue
        if zero_pending:
            parts.append(DIGITS[0])
            zero_pending = False
        if unit == "十" and digit == 1 and not parts and leading:
            parts.append("十")  # 十二, not 一十二
        else:
            parts.append(DIGITS[digit] + unit)
    return "".join(parts)


def normalize_ticket(ticket: str) -> str:
    """The ticket number in canonical form (upper case, no blanks), or ValueError."""
    canonical = ticket.strip().upper()
    if not _TICKET.fullmatch(canonical):
        raise ValueError(f"not a ticket number (letters A-Z then digits): {ticket!r}")
    return canonical


def ticket_tokens(ticket: str) -> tuple[str, ...]:
    """'A012' -> ('A', '零', '一', '二'): letters as letters, each digit as a digit."""
    return tuple(DIGITS[int(c)] if c.isdigit() else c for c in normalize_ticket(ticket))


def counter_tokens(counter_id: str, counter_name: str | None) -> tuple[str, ...]:
    """The place to go: the name as written, else the counter number and 号 窗口."""
    if counter_name is not None and counter_name.strip():
        name = counter_name.strip()
        if len(name) > _MAX_NAME or not name.isprintable():
            raise ValueError(f"counter name too long or not printable: {counter_name!r}")
        return (_digits_as_cardinals(name),)
    canonical = counter_id.strip().upper()
    if not _COUNTER.fullmatch(canonical):
        raise ValueError(f"not a counter id (1-8 letters or digits): {counter_id!r}")
    if canonical.isdigit():
        number: tuple[str, ...] = (cardinal(int(canonical)),)
    else:
        number = tuple(DIGITS[int(c)] if c.isdigit() else c for c in canonical)
    return (*number, "号", "窗口")


def _digits_as_cardinals(name: str) -> str:
    return re.sub(r"[0-9]{1,8}", lambda m: cardinal(int(m.group())), name)


def _counter_display(counter_id: str, counter_name: str | None) -> str:
    if counter_name is not None and counter_name.strip():
        return counter_name.strip()
    return f"{counter_id.strip().upper()} 号窗口"


def call_phrase(call: Call) -> Phrase:
    """The full sentence: "请 A012 号到 3 号窗口办理"."""
    tokens = (
        "请",
        *ticket_tokens(call.ticket),
        "号",
        "到",
        *counter_tokens(call.counter_id, call.counter_name),
        "办理",
    )
    display = (
        f"请 {normalize_ticket(call.ticket)} 号到"
        f"{_spaced(_counter_display(call.counter_id, call.counter_name))}办理"
    )
    return Phrase(tokens, display)


def backlog_phrase(tickets: Sequence[str], counter_id: str, counter_name: str | None) -> Phrase:
    """The shortened sentence for a backlog: "请 A012、A013 号到 3 号窗口"."""
    if not tickets:
        raise ValueError("a backlog sentence needs at least one ticket")
    tokens: list[str] = ["请"]
    for index, ticket in enumerate(tickets):
        if index:
            tokens.append(PAUSE)
        tokens.extend(ticket_tokens(ticket))
    tokens += ["号", "到", *counter_tokens(counter_id, counter_name)]
    numbers = PAUSE.join(normalize_ticket(t) for t in tickets)
    display = f"请 {numbers} 号到{_spaced(_counter_display(counter_id, counter_name))}".rstrip()
    return Phrase(tuple(tokens), display)


def _spaced(place: str) -> str:
    """'3 号窗口' needs a blank before the number; a name written in hanzi does not."""
    return f" {place}" if place[:1].isascii() else place
