"""Who is called next at a counter, and why.

Every waiting ticket has an `order_key` fixed when it joins the queue (epoch seconds):
- a walk-in: the time it was issued;
- 绿色通道 (any priority but normal): issued time − `priority_credit_minutes`;
- an appointment checked in before the end of its window: window start −
  `appointment_credit_minutes` (window start = slot start − `appointment_before_minutes`);
- a late appointment: a walk-in;
- a transferred ticket: its old key (`transfer_position = keep`) or the front of the queue.

A counter adds `preference_step_minutes` per place in its service list (first = 0) and
calls the smallest sum; ties go to the earlier `seq`. Because keys never change while a
ticket waits and a new arrival's key is at least `now − max credit`, every ticket that a
calling counter serves is called within (max credit + longest preference step) of any
later arrival: nothing waits forever (the ageing rule, docs/QUEUE_RULES.md).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from hall.core.model import Counter, Priority, Source, Ticket
from hall.core.state import HallState


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
    out = candidates_unsorted(state, counter)
    out.sort(key=lambda x: (x[0], x[1]))
    return out


def candidates_unsorted(state: HallState, counter: Counter) -> list[tuple[float, int, Ticket]]:
    step = state.rules.preference_step_minutes * 60.0
    out = []
    seen: set[str] = set()
    for r, code in enumerate(counter.spec.services):
        if code in seen:
            continue
        seen.add(code)
        offset = r * step
        for t in state.waiting_in(code).values():
            if t.day != state.open_day or t.target_counter is not None:
                continue
            out.append((t.order_key + offset, t.issued_seq, t))
    # Tickets transferred to one counter, whatever their service (few at any time).
    out.extend(
        (t.order_key, t.issued_seq, t)
        for t in state.waiting_tickets.values()
        if t.target_counter == counter.id and t.day == state.open_day
    )
    return out


def first_candidates(state: HallState, counter: Counter, n: int) -> list[tuple[float, int, Ticket]]:
    """The first n of `candidates` without sorting them all."""
    everyone = candidates_unsorted(state, counter)
    return heapq.nsmallest(n, everyone, key=lambda x: (x[0], x[1]))


def waiting_for(state: HallState, counter: Counter) -> int:
    return len(candidates_unsorted(state, counter))


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
