"""What every rule shares: the decision it returns and the checks it makes of counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hall.core import events as ev
from hall.core import results as rs
from hall.core.errors import Refused
from hall.core.model import Counter, CounterState, Ticket, TicketState
from hall.core.state import HallState
from hall.core.timekeeping import Reading


@dataclass(slots=True)
class Decision:
    """The events a command makes, in order, and what the person who asked is told."""

    events: list[ev.Payload] = field(default_factory=list)
    result: rs.Result = field(default_factory=rs.Nothing)

    def add(self, payload: ev.Payload) -> None:
        self.events.append(payload)


def counter_of(state: HallState, counter_id: str, *, must_be_open: bool = True) -> Counter:
    cnt = state.counter(counter_id)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {counter_id} 号窗口", "请检查窗口号")
    if cnt.staff is None:
        raise Refused("not_signed_in", "未签到", "请先输入工号签到")
    if must_be_open and cnt.state is CounterState.PAUSED:
        raise Refused("counter_paused", "窗口已暂停", "请先按恢复键")
    return cnt


def in_hand(state: HallState, cnt: Counter) -> Ticket:
    if cnt.current is None:
        raise Refused("nothing_in_hand", "当前无在办号", "请先呼叫")
    return state.tickets[cnt.current]


def auto_finish(t: Ticket, reason: str) -> ev.TicketFinished:
    """Finish a ticket nobody pressed FINISH for (the next call, the day's end)."""
    return ev.TicketFinished(
        ticket_id=t.id, number=t.number, counter=t.counter, staff=t.staff, auto=True, reason=reason
    )


def today(state: HallState, now: Reading) -> date:
    """The business day a command belongs to. An untrusted clock never moves the hall to
    another day: while one is open, it stays the day (timekeeping.judge)."""
    if not now.trusted and state.open_day is not None:
        return state.open_day
    return state.day_of(now.ts)


def the_day(state: HallState, now: Reading) -> date:
    """The business day a number typed by staff belongs to: the open one, else today."""
    return state.open_day or today(state, now)


def call_event(
    cnt: Counter, t: Ticket, *, recall: bool, reason: dict[str, Any] | None = None
) -> tuple[ev.TicketCalled, rs.CallResult]:
    event = ev.TicketCalled(
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=cnt.staff,
        recall=recall,
        service=t.service,
        reason=reason["rule"] if reason is not None else None,
    )
    result = rs.CallResult(
        ticket_id=t.id,
        number=t.number,
        service=t.service,
        counter=cnt.id,
        counter_name=cnt.spec.display_name,
        recall=recall,
        calls=t.calls + 1 if recall else 1,
        reason=reason,
    )
    return event, result


_STATE_ZH = {
    TicketState.PRINTING: "打印中",
    TicketState.WAITING: "等候中",
    TicketState.CALLED: "已呼叫",
    TicketState.SERVING: "办理中",
    TicketState.HELD: "挂起",
    TicketState.FINISHED: "已办结",
    TicketState.SKIPPED: "已过号",
    TicketState.CANCELLED: "已作废",
}


def state_zh(s: TicketState) -> str:
    return _STATE_ZH[s]
