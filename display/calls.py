"""Calls as the display reads them off the hall bus: parsed leniently, checked, deduplicated.

Lenient for the wire (fields the display does not know are ignored), strict about what it
shows and speaks: a ticket number, a counter id and a counter name of plain printable text.
A malformed call is refused (`BadMessage`), counted and logged by the caller, and changes
nothing on the screen or in the announcer's queue.

The hub sends every counter's shown name (`counter_name`), which is "3号窗口" for a counter
without a name of its own; such a name is not a name: the screen shows "3 号窗口" and the
announcer reads the counter number as a cardinal ("三 号 窗口").
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.speech.text import Call

_NUMBER = re.compile(r"^[A-Z]{0,3}[0-9]{1,6}$")
_COUNTER = re.compile(r"^[0-9A-Za-z]{1,8}$")
_MASKED = re.compile(r"^[\u3400-\u9fff]{0,2}\*{1,3}[\u3400-\u9fff]{0,1}$")
_MAX_NAME = 24


class BadMessage(ValueError):
    """A message from the bus the display cannot use; the text names the field, not values."""


@dataclass(frozen=True)
class CallView:
    """One call or recall as the screen shows it."""

    number: str
    counter: str
    counter_name: str | None  # the counter's own name, None for "N 号窗口"
    recall: bool = False
    seq: int = 0
    service: str = ""
    masked_name: str | None = None

    @property
    def place(self) -> str:
        """Where to go: the counter's name as written, else "3 号窗口"."""
        return self.counter_name or f"{self.counter} 号窗口"

    @property
    def sentence(self) -> str:
        """The call as the screen writes it: "请 A012 号 到 3 号窗口"."""
        who = (
            f"{self.number} 号" if not self.masked_name else f"{self.number} 号 {self.masked_name}"
        )
        return f"请 {who} 到 {self.place}"

    def to_speech(self) -> Call:
        """The call for the announcer (never with a name: names are not spoken)."""
        return Call(self.number, self.counter, self.counter_name, self.recall)


def own_name(counter: str, shown: object) -> str | None:
    """The counter's own name, or None when `shown` is only the default "N号窗口"."""
    if not isinstance(shown, str):
        return None
    name = shown.strip()
    if not name or re.sub(r"\s", "", name) == f"{counter}号窗口":
        return None
    if len(name) > _MAX_NAME or not name.isprintable():
        raise BadMessage("counter_name: too long or not printable")
    return name


def parse_call(payload: Mapping[str, Any], *, masked_names: bool = False) -> CallView:
    """A call from `hall/v1/event/call` or an entry of the board's `calls`."""
    number = payload.get("number")
    counter = payload.get("counter")
    if not isinstance(number, str) or not _NUMBER.match(number):
        raise BadMessage("number: not a ticket number")
    if isinstance(counter, int) and not isinstance(counter, bool):
        counter = str(counter)
    if not isinstance(counter, str) or not _COUNTER.match(counter):
        raise BadMessage("counter: not a counter id")
    seq = payload.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise BadMessage("seq: not a non-negative integer")
    service = payload.get("service", "")
    masked = payload.get("masked_name") if masked_names else None
    return CallView(
        number=number,
        counter=counter,
        counter_name=own_name(counter, payload.get("counter_name")),
        recall=payload.get("recall") is True,
        seq=seq,
        service=service if isinstance(service, str) else "",
        masked_name=masked if isinstance(masked, str) and _MASKED.match(masked) else None,
    )


class SeenCalls:
    """Remembers the last `size` call seqs: an MQTT message delivered twice acts once."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first_time(self, call: CallView) -> bool:
        if call.seq == 0:
            return True  # no seq (a tool's test call): nothing to deduplicate by
        if call.seq in self._seen:
            return False
        self._seen[call.seq] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True
