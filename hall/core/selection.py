"""Who is called next at a counter, and why.

Every waiting ticket has an `order_key` fixed when it joins the queue (epoch seconds):
- a walk-in: the time it was issued;
- 绿色通道 (any priority but normal): issued time − `priority_credit_minutes`;
- an appointment checked in before the end of its window: window start −
  `appointment_credit_minutes` (window start = slot start − `appointment_before_minutes`);
- a late appointment: a walk-in;
- a transferred ticket: its old key (`transfer_position = keep`) or the front of the queue;
- a remote ticket (云叫号): its issue time like a walk-in, but only once its citizen arrived:
  until then it keeps its place and is passed over.

A counter adds `preference_step_minutes` per place in its service list (first = 0) and
calls the smallest sum; ties go to the earlier `seq`. Because keys never change while a
ticket waits and a new arrival's key is at least `now − max credit`, every ticket that a
calling counter serves is called within (max credit + longest preference step) of any
later arrival: nothing waits forever (the ageing rule, docs/QUEUE_RULES.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from hall.core.model import Counter, Priority, Source, Ticket
from hall.core.state import HallState
from hall.core.waiting import ServiceQueue


@dataclass(frozen=True, slots=True)
class Choice:
    ticket: Ticket
    rule: str  # appointment | priority | preference | longest_wait
    why: str  # Chinese, for staff
    alternatives: tuple[dict[str, Any], ...]

    def explain(self) -> dict[str, Any]:
        return {"rule": self.rule, "why": self.why, "alternatives": list(self.alternatives)}


def candidates(state: HallState, counter: Counter) -> list[tuple[float, int, Ticket]]:
    """Waiting tickets this counter may call, with their effective key, best first."""
    return list(_merged(state, counter))


def first_candidates(state: HallState, counter: Counter, n: int) -> list[tuple[float, int, Ticket]]:
    """The first n of `candidates`, reading only as far into each queue as needed."""
    return list(islice(_merged(state, counter), n))


def _services(counter: Counter) -> list[str]:
    return list(dict.fromkeys(counter.spec.services))  # in preference order, once each


def _merged(state: HallState, counter: Counter) -> Iterator[tuple[float, int, Ticket]]:
    step = state.rules.preference_step_minutes * 60.0
    streams: list[Iterator[tuple[float, int, Ticket]]] = []
    for r, code in enumerate(_services(counter)):
        queue = state.waiting_index.queue(code)
        if queue is not None and queue.tickets:
            streams.append(_stream(state, queue, r * step))
    # Tickets transferred to this counter, whatever their service (few at any time).
    targeted = [
        (t.order_key, t.issued_seq, t)
        for t in state.waiting_index.targeted_to(counter.id)
        if t.day == state.open_day and t.arrived
    ]
    targeted.sort(key=_rank)
    streams.append(iter(targeted))
    return heapq.merge(*streams, key=_rank)


def _rank(x: tuple[float, int, Ticket]) -> tuple[float, int]:
    return (x[0], x[1])


def _stream(
    state: HallState, queue: ServiceQueue, offset: float
) -> Iterator[tuple[float, int, Ticket]]:
    day = state.open_day
    for t in queue.in_order():
        # a remote ticket whose citizen is not here yet keeps its place, passed over
        if t.day != day or t.target_counter is not None or not t.arrived:
            continue
        yield (t.order_key + offset, t.issued_seq, t)


def waiting_for(state: HallState, counter: Counter) -> int:
    """How many waiting tickets this counter may call (what its pad shows)."""
    day = state.open_day
    if day is None:
        return 0
    codes = _services(counter)
    n = 0
    for code in codes:
        queue = state.waiting_index.queue(code)
        if queue is not None:
            n += queue.per_day.get(day, 0)
    wanted = set(codes)
    for t in state.waiting_index.targeted.values():
        if t.day != day:
            continue
        if t.service in wanted:
            n -= 1  # counted above, but only its target may call it
        if t.target_counter == counter.id:
            n += 1
    return n


def choose(state: HallState, counter: Counter) -> Choice | None:
    ranked = first_candidates(state, counter, 4)
    if not ranked:
        return None
    _key, _seq, chosen = ranked[0]
    others = ranked[1:4]
    alternatives = tuple(
        {
            "number": t.number,
            "service": t.service,
            "behind_minutes": round((k - ranked[0][0]) / 60.0, 1),
            "priority": t.priority.value,
            "source": t.source.value,
        }
        for k, _s, t in others
    )
    passed_over = any(
        s < chosen.issued_seq and t.source is not Source.APPOINTMENT for _k, s, t in others
    )
    if chosen.target_counter is not None:
        rule, why = "transfer", "转至本窗口的号"
    elif chosen.source is Source.APPOINTMENT:
        rule, why = "appointment", "预约号，在预约时段内优先"
    elif chosen.priority is not Priority.NORMAL:
        rule, why = "priority", f"绿色通道（{chosen.priority.label}）优先"
    elif passed_over:
        rule, why = "preference", "本窗口优先办理的业务"
    else:
        rule, why = "longest_wait", "按取号先后，等候最久"
    return Choice(chosen, rule, why, alternatives)
