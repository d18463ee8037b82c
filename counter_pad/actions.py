"""Which hub command a key press means. Pure: no IO, no threads.

A press is turned into a :class:`Plan`: hub commands to try in order (the first that
is not refused as an unknown ticket wins; only a typed ticket number without its letter
gives more than one), or a local action (start the evaluator), or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from counter_pad.keys import Key

TICKET = re.compile(r"^[A-Za-z][0-9]{1,6}$")

SIMPLE: dict[Key, str] = {
    Key.CALL_NEXT: "call_next",
    Key.RECALL: "recall",
    Key.SKIP: "skip",
    Key.PAUSE: "pause",
    Key.RESUME: "resume",
    Key.FINISH: "finish",
    Key.START: "start",
    Key.LOGOUT: "sign_out",
    Key.HOLD: "hold",
}


@dataclass(frozen=True)
class Step:
    command: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """``steps`` to try in order; ``local``: "eval_request"; ``error``: refused here."""

    steps: tuple[Step, ...] = ()
    local: str = ""
    error: tuple[str, str] | None = None


@dataclass(frozen=True)
class CounterContext:
    """What the plan needs to know about the counter and the hall."""

    counter: str
    services: Sequence[str] = ()
    held: Sequence[str] = ()
    counters: frozenset[str] = frozenset()
    prefixes: Mapping[str, str] = field(default_factory=dict)  # service code -> prefix
    shortcuts: Mapping[str, str] = field(default_factory=dict)  # typed digits -> service
    number_width: int = 3


def plan(key: Key, arg: str, ctx: CounterContext) -> Plan:
    c = {"counter": ctx.counter}
    if key in SIMPLE:
        return Plan((Step(SIMPLE[key], c),))
    if key == Key.LOGIN:
        return Plan((Step("sign_in", {**c, "staff": arg.strip()}),))
    if key == Key.CALL_BACK:
        if not arg:
            return Plan((Step("call_back", c),))
        numbers = ticket_candidates(arg, ctx)
        if not numbers:
            return Plan(error=("号码格式错误", arg[:8]))
        return Plan(tuple(Step("call_back", {**c, "number": n}) for n in numbers))
    if key == Key.CALL_NUMBER:
        numbers = ticket_candidates(arg, ctx)
        if not numbers:
            return Plan(error=("号码格式错误", arg[:8]))
        held = [n for n in numbers if n in ctx.held]
        if held:  # calling a ticket set aside here is calling it back
            return Plan((Step("call_back", {**c, "number": held[0]}),))
        return Plan(tuple(Step("call_number", {**c, "number": n}) for n in numbers))
    if key == Key.TRANSFER:
        return _transfer(arg, ctx)
    if key == Key.EVAL_REQUEST:
        return Plan(local="eval_request")
    return Plan(error=("按键无效", ""))


def _transfer(arg: str, ctx: CounterContext) -> Plan:
    target = arg.strip().upper()
    c = {"counter": ctx.counter}
    if target in ctx.shortcuts:
        return Plan((Step("transfer", {**c, "to_service": ctx.shortcuts[target]}),))
    if target == ctx.counter.upper():  # to oneself: set the ticket aside (挂起)
        return Plan((Step("hold", c),))
    by_upper = {x.upper(): x for x in ctx.counters}
    if target in by_upper:
        return Plan((Step("transfer", {**c, "to_counter": by_upper[target]}),))
    if not re.fullmatch(r"[A-Z0-9-]{1,24}", target):
        return Plan(error=("转移失败", "目标格式错误"))
    return Plan((Step("transfer", {**c, "to_service": target}),))


def ticket_candidates(arg: str, ctx: CounterContext) -> list[str]:
    """The ticket numbers ``arg`` may mean at this counter: ``A012`` as typed; digits
    only (``12``, ``012``) with the prefix of each of the counter's services, in order."""
    typed = arg.strip().upper()
    if TICKET.match(typed):
        letter, digits = typed[0], typed[1:]
        return [letter + digits.zfill(ctx.number_width)]
    if not typed.isdigit() or len(typed) > 6:
        return []
    digits = typed.zfill(ctx.number_width)
    out: list[str] = []
    for code in ctx.services:
        prefix = ctx.prefixes.get(code)
        if prefix and prefix + digits not in out:
            out.append(prefix + digits)
    return out


def prefixes_of(catalog: Mapping[str, Any] | None) -> dict[str, str]:
    """Service code -> ticket prefix, from the retained catalog state."""
    if not catalog:
        return {}
    return {
        str(s["code"]): str(s["prefix"])
        for s in catalog.get("services", [])
        if isinstance(s, dict) and s.get("prefix")
    }
