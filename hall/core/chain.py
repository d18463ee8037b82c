"""The hash chain over the event log (contract v1.1, field `h`): the 台账 cannot change
without trace.

`h(n)` = lowercase hex SHA-256 of the bytes of `h(n-1)` as its 64 hex characters (64 `0`
characters before seq 1) followed by the event's canonical JSON without `h`: the whole
event object (seq, id, type, at, data), keys sorted at every level, separators `,` and `:`
with no spaces, non-ASCII written as UTF-8. The contract says nothing of numbers; we write
them as JSON's own canonical form (RFC 8785, the ECMAScript shortest round-trip form), so a
peer in any language that parsed the batch gets the same bytes: 1795741561.0 is written
`1795741561`, 0.25 `0.25`, 1e21 `1e+21`. docs/CITY_SYNC.md records the choice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def number(x: float) -> str:
    """A float as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError("JSON has no NaN or infinity")
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    r = repr(x)  # the shortest digits that round-trip, as ECMAScript chooses them
    mantissa, _, exp_s = r.partition("e")
    exp = int(exp_s) if exp_s else 0
    sign = "-" if mantissa.startswith("-") else ""
    digits_part = mantissa.lstrip("-")
    whole, _, frac = digits_part.partition(".")
    digits = (whole + frac).lstrip("0")
    # the decimal exponent n of ECMAScript's algorithm: value = 0.digits × 10^n
    point = len(whole) + exp
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    n = point - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    tail = ("." + digits[1:]) if k > 1 else ""
    return f"{sign}{digits[0]}{tail}e{'+' if e >= 0 else '-'}{abs(e)}"


def _canon(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value)):
            if not isinstance(key, str):
                raise TypeError("JSON object keys are strings")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _canon(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canon(item, out)
        out.append("]")
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(number(value))
    else:
        raise TypeError(f"not JSON: {type(value).__name__}")


class _NotPlain(Exception):
    """A float whose repr is not its ECMAScript form (an exponent): take the slow path."""


_SCALARS = frozenset({str, int, bool, type(None)})  # written alike by json and the canon


def _plain(value: Any) -> Any:
    """The value with integral floats as ints, so that the json module's own (fast) writer
    gives the canonical form; _NotPlain for a float it would write otherwise."""
    if isinstance(value, dict):
        out = None
        for k, v in value.items():
            if type(v) in _SCALARS:
                continue
            if out is None:
                out = dict(value)  # copied only when a value is not plain as it is
            out[k] = _plain(v)
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not isinstance(value, bool):
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        if value.is_integer() or "e" in repr(value) or not math.isfinite(value):
            raise _NotPlain
    return value


_WRITER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_STR = json.encoder.encode_basestring  # a JSON string, non-ASCII as is (the writer's own)


def canonical_text(value: Any) -> str:
    """The canonical JSON of a JSON value (see the module's docstring)."""
    try:
        return _WRITER.encode(_plain(value))
    except _NotPlain:
        out: list[str] = []
        _canon(value, out)
        return "".join(out)


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of a JSON value (see the module's docstring)."""
    return canonical_text(value).encode("utf-8")


def link(previous: str, event: dict[str, Any]) -> str:
    """`h` of an event (its wire object: seq, id, type, at, data; any `h` in it is left out)."""
    body = {k: v for k, v in event.items() if k != "h"}
    return hashlib.sha256(previous.encode("ascii") + canonical(body)).hexdigest()


def event_link(
    previous: str, seq: int, id: str, type_: str, at: str, data: dict[str, Any]
) -> tuple[str, str]:
    """(`h`, the data's canonical JSON) of an event given by its parts: `link` of
    {seq, id, type, at, data} with one pass over the data, whose text the log keeps."""
    text = canonical_text(data)
    body = (
        f'{{"at":{_STR(at)},"data":{text},"id":{_STR(id)},"seq":{int(seq)},"type":{_STR(type_)}}}'
    )
    return hashlib.sha256((previous + body).encode("utf-8")).hexdigest(), text


@dataclass(frozen=True, slots=True)
class Break:
    """Where a chain stops holding: the first seq whose `h` is not what its data gives."""

    seq: int
    reason: str


def verify(events: Iterable[dict[str, Any]], previous: str = GENESIS) -> Iterator[Break]:
    """Check a run of wire events (in seq order, each with `h`) against the chain from
    `previous`; yields each break (a changed event, a missing `h`, a gap in seq)."""
    expected_seq: int | None = None
    for e in events:
        seq = int(e.get("seq", 0))
        if expected_seq is not None and seq != expected_seq:
            yield Break(seq, f"seq {seq} follows {expected_seq - 1}: events missing")
        expected_seq = seq + 1
        h = e.get("h")
        if not isinstance(h, str):
            yield Break(seq, "no h")
            continue
        if link(previous, e) != h:
            yield Break(seq, "h does not match the event: changed after it was recorded")
        previous = h
