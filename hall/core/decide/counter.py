"""What staff do at a counter: sign in and out, pause, call, recall, skip, serve, hold,
transfer, and the citizen's rating."""

from __future__ import annotations

from typing import Any

from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.decide.base import (
    Decision,
    auto_finish,
    call_event,
    counter_of,
    in_hand,
    state_zh,
    the_day,
)
from hall.core.errors import Refused
from hall.core.model import Counter, CounterState, Ticket, TicketState
from hall.core.rules import TransferPosition
from hall.core.selection import choose, waiting_for
from hall.core.state import HallState
from hall.core.timekeeping import Reading


def sign_in(state: HallState, cmd: c.SignIn, now: Reading) -> Decision:
    cnt = state.counter(cmd.counter)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {cmd.counter} 号窗口", "请检查窗口号")
    if not now.trusted and (
        state.open_day is None or now.why == "not_set"
    ):  # signing in opens the business day
        raise Refused(
            "clock_not_set", "系统时间未校准，暂不能签到", "请联系技术人员校准时间", clock=now.why
        )
    staff = cmd.staff.strip()
    if not staff.isdigit() or not 1 <= len(staff) <= 8:
        raise Refused("bad_staff_number", "工号应为 1–8 位数字", "请重新输入工号")
    for other in state.counters.values():
        if other.staff == staff and other.id != cnt.id:
            raise Refused(
                "staff_elsewhere",
                f"工号 {staff} 已在 {other.spec.display_name}签到",
                "请先在原窗口签退",
            )
    if cnt.staff == staff:
        return Decision([], rs.SignInResult(cnt.id, staff, already=True))
    if cnt.staff is not None:
        raise Refused(
            "counter_taken", f"{cnt.spec.display_name}已由工号 {cnt.staff} 签到", "请先签退"
        )
    return Decision(
        [ev.StaffLogin(counter=cnt.id, staff=staff), ev.CounterOpened(counter=cnt.id, staff=staff)],
        rs.SignInResult(cnt.id, staff),
    )


def sign_out(state: HallState, cmd: c.SignOut, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    if cnt.current is not None:
        raise Refused("counter_busy", "请先办结当前号", "办结后再签退")
    if cnt.held:
        raise Refused("counter_has_held", "本窗口有挂起的号", "请先回呼或转移挂起的号")
    return Decision(
        [ev.StaffLogout(counter=cnt.id, staff=cnt.staff), ev.CounterClosed(counter=cnt.id)],
        rs.CounterResult(cnt.id),
    )


def pause(state: HallState, cmd: c.Pause, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    d = Decision([], rs.CounterResult(cnt.id, CounterState.PAUSED.value))
    if cnt.state is not CounterState.PAUSED:
        d.add(ev.CounterPaused(counter=cnt.id, staff=cnt.staff))
    return d


def resume(state: HallState, cmd: c.Resume, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    d = Decision([], rs.CounterResult(cnt.id, CounterState.OPEN.value))
    if cnt.state is not CounterState.OPEN:
        d.add(ev.CounterOpened(counter=cnt.id, staff=cnt.staff))
    return d


def _refuse_double_press(state: HallState, cnt: Counter, now: Reading) -> None:
    """A call right after a call at the same counter is a double press (a bouncing key, two
    taps): it must not finish the citizen who was just called."""
    window = state.rules.double_press_seconds
    if window <= 0 or cnt.current is None:
        return
    t = state.tickets[cnt.current]
    called = t.called_at if t.state is TicketState.CALLED else None
    if called is not None and 0 <= now.ts - called < window:
        raise Refused(
            "just_called",
            f"刚刚已呼叫 {t.number} 号",
            "请稍候；如需重呼请按重呼键",
            number=t.number,
        )


def _release(state: HallState, cnt: Counter) -> list[ev.Payload]:
    """Calling again ends what the counter had in hand: it counts as finished."""
    if cnt.current is None:
        return []
    return [auto_finish(state.tickets[cnt.current], "next_called")]


def _called(
    state: HallState, cnt: Counter, t: Ticket, reason: dict[str, Any], *, waiting: bool = True
) -> Decision:
    event, result = call_event(cnt, t, recall=False, reason=reason)
    if waiting:
        result = rs.CallResult(**{**result.to_dict(), "waiting": waiting_for(state, cnt) - 1})
    return Decision([*_release(state, cnt), event], result)


def call_next(state: HallState, cmd: c.CallNext, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter)
    _refuse_double_press(state, cnt, now)
    choice = choose(state, cnt)
    if choice is None:
        raise Refused("queue_empty", "暂无等候", "稍后再呼叫")
    return _called(state, cnt, choice.ticket, choice.explain())


def call_number(state: HallState, cmd: c.CallNumber, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter)
    t = state.ticket_by_number(the_day(state, now), cmd.number)
    if t is None:
        raise Refused("unknown_ticket", f"没有 {cmd.number.upper()} 号", "请核对号码")
    if t.state is not TicketState.WAITING:
        raise Refused(
            "ticket_not_waiting",
            f"{t.number} 号不在等候中（{state_zh(t.state)}）",
            "只能呼叫等候中的号",
        )
    if t.target_counter is not None and t.target_counter != cnt.id:
        raise Refused(
            "ticket_for_other_counter", f"{t.number} 号已转至 {t.target_counter} 号窗口", ""
        )
    d = _called(state, cnt, t, {"rule": "by_number", "why": "指定呼叫", "alternatives": []})
    if not t.arrived:  # a remote ticket's citizen at the counter: staff saw them arrive
        d.events.insert(0, ev.TicketArrived(ticket_id=t.id, number=t.number, how="counter"))
    return d


def recall(state: HallState, cmd: c.Recall, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter)
    t = in_hand(state, cnt)
    if t.state is not TicketState.CALLED:
        raise Refused("not_called", f"{t.number} 号已在办理中", "办理中的号无需重呼")
    if t.calls > state.rules.max_recalls:
        raise Refused("recall_limit", f"{t.number} 号已重呼 {t.calls - 1} 次", "可按过号")
    event, result = call_event(cnt, t, recall=True)
    result = rs.CallResult(**{**result.to_dict(), "waiting": waiting_for(state, cnt)})
    return Decision([event], result)


def skip(state: HallState, cmd: c.Skip, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    t = in_hand(state, cnt)
    if t.state is not TicketState.CALLED:
        raise Refused("not_called", f"{t.number} 号已在办理中", "办理中的号不能过号")
    need = state.rules.skip_after_calls
    if t.calls < need:
        raise Refused(
            "skip_too_early", f"需呼叫满 {need} 次才能过号（已呼 {t.calls} 次）", "请先重呼"
        )
    event = ev.TicketSkipped(
        ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff, calls=t.calls
    )
    return Decision([event], rs.TicketRef(t.number, t.id))


def reinstate(state: HallState, cmd: c.Reinstate, now: Reading) -> Decision:
    t = state.ticket_by_number(the_day(state, now), cmd.number)
    if t is None:
        raise Refused("unknown_ticket", f"没有 {cmd.number.upper()} 号", "请核对号码")
    if t.state is not TicketState.SKIPPED:
        raise Refused("ticket_not_skipped", f"{t.number} 号不是过号状态", "")
    event = ev.TicketReinstated(ticket_id=t.id, number=t.number, counter=cmd.counter)
    return Decision([event], rs.TicketRef(t.number, t.id))


def start(state: HallState, cmd: c.Start, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    t = in_hand(state, cnt)
    d = Decision([], rs.TicketRef(t.number, t.id))
    if t.state is TicketState.CALLED:
        d.add(ev.TicketStarted(ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff))
    return d


def finish(state: HallState, cmd: c.Finish, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    t = in_hand(state, cnt)
    event = ev.TicketFinished(
        ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff, auto=False
    )
    return Decision([event], rs.TicketRef(t.number, t.id))


def hold(state: HallState, cmd: c.Hold, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    t = in_hand(state, cnt)
    event = ev.TicketHeld(ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff)
    return Decision([event], rs.TicketRef(t.number, t.id))


def call_back(state: HallState, cmd: c.CallBack, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter)
    if not cnt.held:
        raise Refused("nothing_held", "本窗口没有挂起的号", "")
    held = [state.tickets[h] for h in cnt.held]
    if cmd.number:
        held = [t for t in held if t.number == cmd.number.upper()]
        if not held:
            raise Refused("not_held_here", f"{cmd.number.upper()} 号未在本窗口挂起", "")
    _refuse_double_press(state, cnt, now)
    reason: dict[str, Any] = {"rule": "call_back", "why": "回呼挂起的号", "alternatives": []}
    return _called(state, cnt, held[0], reason, waiting=False)


def transfer(state: HallState, cmd: c.Transfer, now: Reading) -> Decision:
    cnt = counter_of(state, cmd.counter, must_be_open=False)
    t = in_hand(state, cnt)
    if bool(cmd.to_service) == bool(cmd.to_counter):
        raise Refused("bad_transfer", "转移失败：请输入业务代码或窗口号（二选一）", "")
    to_service = None
    to_counter = None
    if cmd.to_service:
        svc = state.catalog.get(cmd.to_service.upper())
        if svc is None or not any(svc.code in x.spec.services for x in state.counters.values()):
            raise Refused("unknown_service", f"转移失败：无业务 {cmd.to_service}", "请核对业务代码")
        to_service = svc.code
    else:
        target = state.counter(str(cmd.to_counter))
        if target is None:
            raise Refused(
                "unknown_counter", f"转移失败：没有 {cmd.to_counter} 号窗口", "请核对窗口号"
            )
        if target.id == cnt.id:
            raise Refused("bad_transfer", "转移失败：不能转给本窗口", "")
        to_counter = target.id
    if state.rules.transfer_position is TransferPosition.FRONT:
        key = min((x.order_key for x in state.waiting()), default=now.ts) - 1.0
    else:
        key = t.order_key
    event = ev.TicketTransferred(
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=cnt.staff,
        from_service=t.service,
        to_service=to_service,
        to_counter=to_counter,
        order_key=key,
    )
    return Decision([event], rs.TransferResult(t.number, t.id, to_service, to_counter))


def evaluate(state: HallState, cmd: c.Evaluate, now: Reading) -> Decision:
    cnt = state.counter(cmd.counter)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {cmd.counter} 号窗口", "")
    if cmd.rating is not None and not (isinstance(cmd.rating, int) and 1 <= cmd.rating <= 5):
        raise Refused("bad_rating", "评价应为 1–5 分", "")
    if cmd.number:
        t = state.ticket_by_number(the_day(state, now), cmd.number)
    else:
        tid = state.last_finished.get(cnt.id) or cnt.current
        t = state.tickets.get(tid) if tid else None
    if t is None:
        raise Refused("nothing_to_rate", "没有可评价的号", "")
    if t.rated or t.id in state.evaluations:
        raise Refused(
            "already_rated", f"{t.number} 号已评价", "每个号只能评价一次", number=t.number
        )
    event = ev.EvaluationSubmitted(
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=t.staff or cnt.staff,
        rating=cmd.rating,
        service=t.service,
    )
    return Decision([event], rs.EvaluationResult(t.number, t.id, cmd.rating))
