"""The rules: a command and the state become events (or a refusal). Pure, no IO.

`decide(state, command, now)` never changes `state`; the store appends the drafts it returns
in one transaction and then applies them. The result dict is what the person who asked is
told (ticket number, how many ahead, the estimated wait, why this ticket was called …).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hall.core import commands as c
from hall.core import events as ev
from hall.core.catalog import CatalogError, catalog_to_wire, parse_catalog, parse_counter_specs
from hall.core.errors import Refused
from hall.core.estimate import estimate_minutes
from hall.core.model import (
    Appointment,
    AppointmentId,
    AppointmentStatus,
    Counter,
    CounterState,
    Priority,
    ServiceCode,
    Source,
    Ticket,
    TicketState,
)
from hall.core.rules import AfterMax, PrintFailure, TransferPosition
from hall.core.selection import choose, waiting_for
from hall.core.state import HallState
from hall.core.timekeeping import Reading, at_local, local


@dataclass(slots=True)
class Decision:
    drafts: list[ev.Draft] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def add(self, type_: str, **data: Any) -> None:
        self.drafts.append(ev.Draft(type_, data))


def ticket_id_for(hall_id: str, day: date, number: str) -> str:
    """A ticket's id: stable, unique across halls and days, derived (so replays agree)."""
    return hashlib.sha256(f"{hall_id}/{day.isoformat()}/{number}".encode()).hexdigest()[:24]


# --- the day ------------------------------------------------------------------------------


def day_rollover(state: HallState, now: Reading) -> Decision | None:
    """If the business day in progress is over, close it (before any other command)."""
    if state.open_day is None or not now.trusted:
        return None
    if state.day_of(now.ts) > state.open_day:
        return close_day(state, state.open_day, auto=True)
    return None


def close_day(state: HallState, day: date, auto: bool) -> Decision:
    """Close a business day. Rule (docs/QUEUE_RULES.md): a ticket being served is finished;
    every other open ticket is cancelled with reason day_closed; booked appointments of
    the day that never checked in are no-shows; skipped tickets stay skipped (no-shows);
    signed-in staff are signed out."""
    d = Decision()
    issued = finished = cancelled = 0
    by_service: dict[str, dict[str, int]] = {}
    for t in sorted(state.tickets.values(), key=lambda t: t.issued_seq):
        if t.day != day:
            continue
        row = by_service.setdefault(t.service, {"issued": 0, "finished": 0, "cancelled": 0})
        issued += 1
        row["issued"] += 1
        if t.state is TicketState.SERVING:
            _auto_finish(d, t, "day_closed")
            finished += 1
            row["finished"] += 1
        elif t.state is TicketState.SKIPPED:
            pass  # a no-show stays a no-show
        elif t.state.is_open:
            d.add(ev.TICKET_CANCELLED, ticket_id=t.id, number=t.number, reason="day_closed")
            cancelled += 1
            row["cancelled"] += 1
        elif t.state is TicketState.FINISHED:
            finished += 1
            row["finished"] += 1
        elif t.state is TicketState.CANCELLED:
            cancelled += 1
            row["cancelled"] += 1
    no_shows = 0
    for a in state.appointments.values():
        if a.day == day and a.status in (AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED):
            d.add(ev.APPOINTMENT_NO_SHOW, appointment_id=a.id, service=a.service)
            no_shows += 1
    for cnt in state.counters.values():
        if cnt.staff is not None:
            d.add(ev.STAFF_LOGOUT, counter=cnt.id, staff=cnt.staff, reason="day_closed")
            d.add(ev.COUNTER_CLOSED, counter=cnt.id)
    ratings = [e.rating for e in state.evaluations.values() if e.rating is not None]
    d.add(
        ev.DAY_CLOSED,
        day=day.isoformat(),
        auto=auto,
        issued=issued,
        finished=finished,
        skipped=sum(
            1 for t in state.tickets.values() if t.day == day and t.state is TicketState.SKIPPED
        ),
        cancelled=cancelled,
        appointment_no_shows=no_shows,
        evaluations=len(state.evaluations),
        avg_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        by_service=by_service,
    )
    d.result = {"day": day.isoformat(), "issued": issued, "finished": finished}
    return d


# --- helpers ------------------------------------------------------------------------------


def _counter(state: HallState, counter_id: str, *, must_be_open: bool = True) -> Counter:
    cnt = state.counter(counter_id)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {counter_id} 号窗口", "请检查窗口号")
    if cnt.staff is None:
        raise Refused("not_signed_in", "未签到", "请先输入工号签到")
    if must_be_open and cnt.state is CounterState.PAUSED:
        raise Refused("counter_paused", "窗口已暂停", "请先按恢复键")
    return cnt


def _in_hand(state: HallState, cnt: Counter) -> Ticket:
    if cnt.current is None:
        raise Refused("nothing_in_hand", "当前无在办号", "请先呼叫")
    return state.tickets[cnt.current]


def _release_current(state: HallState, cnt: Counter, d: Decision) -> None:
    """Calling again ends what the counter had in hand: it counts as finished."""
    if cnt.current is None:
        return
    _auto_finish(d, state.tickets[cnt.current], "next_called")


def _auto_finish(d: Decision, t: Ticket, reason: str) -> None:
    """Finish a ticket nobody pressed FINISH for (the next call, the day's end)."""
    d.add(
        ev.TICKET_FINISHED,
        ticket_id=t.id,
        number=t.number,
        counter=t.counter,
        staff=t.staff,
        auto=True,
        reason=reason,
    )


def _today(state: HallState, now: Reading) -> date:
    return state.day_of(now.ts)


def _call(
    state: HallState,
    cnt: Counter,
    t: Ticket,
    d: Decision,
    *,
    recall: bool,
    reason: dict[str, Any] | None = None,
) -> None:
    data: dict[str, Any] = {
        "ticket_id": t.id,
        "number": t.number,
        "counter": cnt.id,
        "staff": cnt.staff,
        "recall": recall,
        "service": t.service,
    }
    if reason is not None:
        data["reason"] = reason["rule"]
    d.add(ev.TICKET_CALLED, **data)
    d.result.update(
        {
            "ticket_id": t.id,
            "number": t.number,
            "service": t.service,
            "counter": cnt.id,
            "counter_name": cnt.spec.display_name,
            "recall": recall,
            "calls": t.calls + 1 if recall else 1,
        }
    )
    if reason is not None:
        d.result["reason"] = reason


# --- issuing ------------------------------------------------------------------------------


def _check_can_issue(state: HallState, service_code: str, now: Reading) -> tuple[Any, date]:
    if not now.trusted and state.last_ts == 0.0:
        raise Refused("clock_not_set", "系统时间未校准，暂停取号", "请联系工作人员校准时间")
    today = _today(state, now)
    if state.last_closed_day is not None and today <= state.last_closed_day:
        raise Refused("day_closed", "今日已结束办理", "请于下一个工作日再来")
    svc = state.catalog.get(service_code)
    if svc is None:
        raise Refused("service_not_offered", "本大厅不办理此业务", "请咨询导办台或查看其他网点")
    if not any(service_code in cnt.spec.services for cnt in state.counters.values()):
        raise Refused(
            "service_not_offered", "本大厅暂无窗口办理此业务", "请咨询导办台或查看其他网点"
        )
    lt = local(now.ts, state.tz)
    if not svc.is_open(lt.isoweekday(), lt.time()):
        raise Refused(
            "outside_hours",
            f"不在办理时间内。办理时间：{svc.hours_text()}",
            "请在办理时间内取号",
            hours=svc.hours_text(),
        )
    return svc, today


def _number(state: HallState, prefix: str, today: date) -> tuple[int, str]:
    serial = state.serials.get((today, prefix), 0) + 1
    width = state.rules.number_width
    if serial >= 10**width and state.rules.after_max is AfterMax.REFUSE:
        raise Refused(
            "numbers_exhausted", f"今日 {prefix} 类号码已取完", "请明天再来或咨询工作人员"
        )
    return serial, f"{prefix}{serial:0{width}d}"


def _issue(
    state: HallState,
    d: Decision,
    svc: Any,
    today: date,
    now: Reading,
    *,
    priority: Priority,
    source: Source,
    order_key: float,
    printing: bool,
    appointment_id: str | None = None,
    kiosk: str | None = None,
) -> str:
    serial, number = _number(state, svc.prefix, today)
    tid = ticket_id_for(state.hall_id, today, number)
    queue = state.waiting_index.queue(svc.code)
    ahead = queue.at_or_before(order_key) if queue is not None else 0
    est = estimate_minutes(state, svc.code, ahead)
    data: dict[str, Any] = {
        "ticket_id": tid,
        "number": number,
        "service": svc.code,
        "source": source.value,
        "waiting_ahead": ahead,
        "est_wait_min": est,
        "priority": priority.value,
        "prefix": svc.prefix,
        "serial": serial,
        "day": today.isoformat(),
        "order_key": order_key,
        "status": "printing" if printing else "waiting",
    }
    if appointment_id:
        data["appointment_id"] = appointment_id
    if kiosk:
        data["kiosk"] = kiosk
    d.add(ev.TICKET_ISSUED, **data)
    d.result.update(
        {
            "ticket_id": tid,
            "number": number,
            "service": svc.code,
            "service_name": svc.name,
            "waiting_ahead": ahead,
            "est_wait_min": est,
            "priority": priority.value,
            "source": source.value,
            "day": today.isoformat(),
            "issued_at": now.ts,
            "status": data["status"],
        }
    )
    return tid


def issue(state: HallState, cmd: c.IssueTicket, now: Reading) -> Decision:
    svc, today = _check_can_issue(state, cmd.service, now)
    count = state.issued_count.get((today, svc.code), 0)
    if svc.daily_quota and count >= svc.daily_quota:
        raise Refused(
            "quota_reached",
            f"今日「{svc.name}」号已取完（限 {svc.daily_quota} 个）",
            "请明天再来，或通过预约渠道预约",
        )
    credit = state.rules.priority_credit_minutes * 60 if cmd.priority is not Priority.NORMAL else 0
    d = Decision()
    _issue(
        state,
        d,
        svc,
        today,
        now,
        priority=cmd.priority,
        source=Source.WALK_IN,
        order_key=now.ts - credit,
        printing=cmd.confirm_print,
        kiosk=cmd.kiosk,
    )
    return d


def confirm_printed(state: HallState, cmd: c.ConfirmPrinted, now: Reading) -> Decision:
    t = state.tickets.get(cmd.ticket_id)  # type: ignore[call-overload]
    if t is None:
        raise Refused("unknown_ticket", "没有这张号票", "请重新取号")
    d = Decision(result={"ticket_id": t.id, "number": t.number, "state": t.state.value})
    if t.state is TicketState.PRINTING:
        d.add(ev.TICKET_PRINTED, ticket_id=t.id, number=t.number)
        d.result["state"] = TicketState.WAITING.value
    elif t.state is TicketState.CANCELLED:
        raise Refused("ticket_voided", f"{t.number} 号已作废", "请重新取号")
    return d


def void_ticket(state: HallState, cmd: c.VoidTicket, now: Reading) -> Decision:
    t = state.tickets.get(cmd.ticket_id)  # type: ignore[call-overload]
    if t is None:
        raise Refused("unknown_ticket", "没有这张号票", "请重新取号")
    if t.state in (TicketState.CANCELLED, TicketState.FINISHED):
        return Decision(result={"ticket_id": t.id, "number": t.number, "state": t.state.value})
    d = Decision(result={"ticket_id": t.id, "number": t.number, "state": "cancelled"})
    d.add(ev.TICKET_CANCELLED, ticket_id=t.id, number=t.number, reason=cmd.reason)
    return d


def expire_unprinted(state: HallState, cmd: c.ExpireUnprinted, now: Reading) -> Decision:
    d = Decision(result={"voided": []})
    limit = state.rules.print_confirm_seconds
    if state.rules.print_failure is PrintFailure.REPRINT:
        limit *= 10
    for t in sorted(state.tickets.values(), key=lambda t: t.issued_seq):
        if t.state is TicketState.PRINTING and now.ts - t.issued_at > limit:
            d.add(ev.TICKET_CANCELLED, ticket_id=t.id, number=t.number, reason="print_unconfirmed")
            d.result["voided"].append(t.number)
    return d


def _find_appointment(state: HallState, cmd: c.CheckIn, today: date) -> Any:
    if cmd.appointment_id:
        return state.appointments.get(AppointmentId(cmd.appointment_id))
    if cmd.code:
        return next(
            (a for a in state.appointments.values() if a.code == cmd.code and a.day == today), None
        ) or next((a for a in state.appointments.values() if a.code == cmd.code), None)
    if cmd.id_hash:
        found = [a for a in state.appointments.values() if a.id_hash == cmd.id_hash.lower()]
        found.sort(key=lambda a: (a.day != today, a.slot_start))
        active = [
            a
            for a in found
            if a.status in (AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED)
        ]
        best = active or found
        return best[0] if best else None
    return None


def check_in(state: HallState, cmd: c.CheckIn, now: Reading) -> Decision:
    today = _today(state, now)
    d = Decision()
    appt = _find_appointment(state, cmd, today)
    if appt is None and cmd.token is not None:
        appt_change = _token_appointment(state, cmd.token, today)
        d.add(ev.APPOINTMENT_RECEIVED, **appt_change)
        ad = decide_appointment_preview(appt_change)
        appt = ad
    if appt is None:
        raise Refused("appointment_not_found", "未找到您的预约", "请核对预约码，或直接取号")
    if appt.status is AppointmentStatus.CANCELLED:
        raise Refused("appointment_cancelled", "该预约已取消", "如需办理请直接取号")
    if appt.status is AppointmentStatus.CHECKED_IN:
        t = state.tickets.get(appt.ticket_id) if appt.ticket_id else None
        number = t.number if t else ""
        raise Refused(
            "already_checked_in",
            f"该预约已签到，号码 {number}".strip(),
            "请留意叫号",
            number=number,
        )
    if appt.status is AppointmentStatus.NO_SHOW or appt.day < today:
        raise Refused(
            "appointment_expired", f"预约日期 {appt.day.isoformat()} 已过", "请重新预约或直接取号"
        )
    if appt.day > today:
        raise Refused(
            "appointment_not_today",
            f"您预约的是 {appt.day.month}月{appt.day.day}日",
            "请在预约当天到场签到",
            date=appt.day.isoformat(),
        )
    svc, _ = _check_can_issue(state, appt.service, now)
    r = state.rules
    slot = at_local(today, datetime.combine(today, appt.slot_start), state.tz)
    window_start = slot - r.appointment_before_minutes * 60
    window_end = slot + r.appointment_after_minutes * 60
    if now.ts < slot - r.checkin_open_minutes * 60:
        come = local(slot - r.checkin_open_minutes * 60, state.tz).strftime("%H:%M")
        raise Refused(
            "too_early",
            f"签到时间未到，请于 {come} 后签到",
            f"您的预约时段 {appt.slot_start.strftime('%H:%M')}",
            come_back_at=come,
        )
    if now.ts <= window_end:
        source = Source.APPOINTMENT
        key = window_start - r.appointment_credit_minutes * 60
        timing = "early" if now.ts < window_start else "on_time"
    else:
        source = Source.APPOINTMENT_LATE
        key = now.ts
        timing = "late"
    prio = appt.priority
    if source is Source.APPOINTMENT_LATE and prio is not Priority.NORMAL:
        key -= r.priority_credit_minutes * 60
    tid = _issue(
        state,
        d,
        svc,
        today,
        now,
        priority=prio,
        source=source,
        order_key=key,
        printing=cmd.confirm_print,
        appointment_id=appt.id,
        kiosk=cmd.kiosk,
    )
    d.add(
        ev.APPOINTMENT_CHECKED_IN,
        appointment_id=appt.id,
        ticket_id=tid,
        number=d.result["number"],
        service=svc.code,
        timing=timing,
    )
    d.result.update(
        {
            "appointment_id": appt.id,
            "timing": timing,
            "slot_start": appt.slot_start.strftime("%H:%M"),
            "slot_end": appt.slot_end.strftime("%H:%M"),
        }
    )
    if appt.name_masked:
        d.result["name_masked"] = appt.name_masked
    return d


def _token_appointment(state: HallState, token: dict[str, Any], today: date) -> dict[str, Any]:
    """An appointment from a signed token (its signature was checked by the caller)."""
    if token.get("hall") != state.hall_id:
        raise Refused("appointment_other_hall", "此预约不是本大厅的", "请到预约的大厅办理")
    if token.get("date") != today.isoformat():
        raise Refused(
            "appointment_not_today", f"您预约的是 {token.get('date')}", "请在预约当天到场签到"
        )
    return {
        "id": str(token["id"]),
        "version": 0,
        "status": "booked",
        "service": token["service"],
        "date": token["date"],
        "slot_start": token["slot_start"],
        "slot_end": token["slot_end"],
        "code": "",
        "priority": "normal",
        "origin": "token",
    }


def decide_appointment_preview(change: dict[str, Any]) -> Appointment:
    """The appointment a change describes (raises ValueError/KeyError when malformed)."""
    return Appointment(
        id=AppointmentId(change["id"]),
        version=int(change["version"]),
        status=AppointmentStatus(change["status"]),
        service=ServiceCode(change["service"]),
        day=date.fromisoformat(change["date"]),
        slot_start=datetime.strptime(change["slot_start"], "%H:%M").time(),
        slot_end=datetime.strptime(change["slot_end"], "%H:%M").time(),
        code=change.get("code") or "",
        id_hash=change.get("id_hash"),
        name_masked=change.get("name_masked"),
        priority=Priority(change.get("priority") or "normal"),
    )


# --- counters -----------------------------------------------------------------------------


def sign_in(state: HallState, cmd: c.SignIn, now: Reading) -> Decision:
    cnt = state.counter(cmd.counter)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {cmd.counter} 号窗口", "请检查窗口号")
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
    d = Decision(result={"counter": cnt.id, "staff": staff})
    if cnt.staff == staff:
        d.result["already"] = True
        return d
    if cnt.staff is not None:
        raise Refused(
            "counter_taken", f"{cnt.spec.display_name}已由工号 {cnt.staff} 签到", "请先签退"
        )
    d.add(ev.STAFF_LOGIN, counter=cnt.id, staff=staff)
    d.add(ev.COUNTER_OPENED, counter=cnt.id, staff=staff)
    return d


def sign_out(state: HallState, cmd: c.SignOut, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    if cnt.current is not None:
        raise Refused("counter_busy", "请先办结当前号", "办结后再签退")
    if cnt.held:
        raise Refused("counter_has_held", "本窗口有挂起的号", "请先回呼或转移挂起的号")
    d = Decision(result={"counter": cnt.id})
    d.add(ev.STAFF_LOGOUT, counter=cnt.id, staff=cnt.staff)
    d.add(ev.COUNTER_CLOSED, counter=cnt.id)
    return d


def pause(state: HallState, cmd: c.Pause, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    d = Decision(result={"counter": cnt.id, "state": "paused"})
    if cnt.state is not CounterState.PAUSED:
        d.add(ev.COUNTER_PAUSED, counter=cnt.id, staff=cnt.staff)
    return d


def resume(state: HallState, cmd: c.Resume, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    d = Decision(result={"counter": cnt.id, "state": "open"})
    if cnt.state is not CounterState.OPEN:
        d.add(ev.COUNTER_OPENED, counter=cnt.id, staff=cnt.staff)
    return d


def call_next(state: HallState, cmd: c.CallNext, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter)
    choice = choose(state, cnt)
    if choice is None:
        raise Refused("queue_empty", "暂无等候", "稍后再呼叫")
    d = Decision()
    _release_current(state, cnt, d)
    _call(state, cnt, choice.ticket, d, recall=False, reason=choice.explain())
    d.result["waiting"] = waiting_for(state, cnt) - 1
    return d


def call_number(state: HallState, cmd: c.CallNumber, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter)
    t = state.ticket_by_number(state.open_day or _today(state, now), cmd.number)
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
    d = Decision()
    _release_current(state, cnt, d)
    _call(
        state,
        cnt,
        t,
        d,
        recall=False,
        reason={"rule": "by_number", "why": "指定呼叫", "alternatives": []},
    )
    d.result["waiting"] = waiting_for(state, cnt) - 1
    return d


def recall(state: HallState, cmd: c.Recall, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter)
    t = _in_hand(state, cnt)
    if t.state is not TicketState.CALLED:
        raise Refused("not_called", f"{t.number} 号已在办理中", "办理中的号无需重呼")
    if t.calls > state.rules.max_recalls:
        raise Refused("recall_limit", f"{t.number} 号已重呼 {t.calls - 1} 次", "可按过号")
    d = Decision()
    _call(state, cnt, t, d, recall=True)
    d.result["waiting"] = waiting_for(state, cnt)
    return d


def skip(state: HallState, cmd: c.Skip, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    t = _in_hand(state, cnt)
    if t.state is not TicketState.CALLED:
        raise Refused("not_called", f"{t.number} 号已在办理中", "办理中的号不能过号")
    need = state.rules.skip_after_calls
    if t.calls < need:
        raise Refused(
            "skip_too_early", f"需呼叫满 {need} 次才能过号（已呼 {t.calls} 次）", "请先重呼"
        )
    d = Decision(result={"number": t.number, "ticket_id": t.id})
    d.add(
        ev.TICKET_SKIPPED,
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=cnt.staff,
        calls=t.calls,
    )
    return d


def reinstate(state: HallState, cmd: c.Reinstate, now: Reading) -> Decision:
    t = state.ticket_by_number(state.open_day or _today(state, now), cmd.number)
    if t is None:
        raise Refused("unknown_ticket", f"没有 {cmd.number.upper()} 号", "请核对号码")
    if t.state is not TicketState.SKIPPED:
        raise Refused("ticket_not_skipped", f"{t.number} 号不是过号状态", "")
    d = Decision(result={"number": t.number, "ticket_id": t.id})
    d.add(ev.TICKET_REINSTATED, ticket_id=t.id, number=t.number, counter=cmd.counter)
    return d


def start(state: HallState, cmd: c.Start, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    t = _in_hand(state, cnt)
    d = Decision(result={"number": t.number, "ticket_id": t.id})
    if t.state is TicketState.CALLED:
        d.add(ev.TICKET_STARTED, ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff)
    return d


def finish(state: HallState, cmd: c.Finish, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    t = _in_hand(state, cnt)
    d = Decision(result={"number": t.number, "ticket_id": t.id})
    d.add(
        ev.TICKET_FINISHED,
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=cnt.staff,
        auto=False,
    )
    return d


def hold(state: HallState, cmd: c.Hold, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    t = _in_hand(state, cnt)
    d = Decision(result={"number": t.number, "ticket_id": t.id})
    d.add(ev.TICKET_HELD, ticket_id=t.id, number=t.number, counter=cnt.id, staff=cnt.staff)
    return d


def call_back(state: HallState, cmd: c.CallBack, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter)
    if not cnt.held:
        raise Refused("nothing_held", "本窗口没有挂起的号", "")
    held = [state.tickets[h] for h in cnt.held]
    if cmd.number:
        held = [t for t in held if t.number == cmd.number.upper()]
        if not held:
            raise Refused("not_held_here", f"{cmd.number.upper()} 号未在本窗口挂起", "")
    t = held[0]
    d = Decision()
    _release_current(state, cnt, d)
    _call(
        state,
        cnt,
        t,
        d,
        recall=False,
        reason={"rule": "call_back", "why": "回呼挂起的号", "alternatives": []},
    )
    return d


def transfer(state: HallState, cmd: c.Transfer, now: Reading) -> Decision:
    cnt = _counter(state, cmd.counter, must_be_open=False)
    t = _in_hand(state, cnt)
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
    d = Decision(
        result={
            "number": t.number,
            "ticket_id": t.id,
            "to_service": to_service,
            "to_counter": to_counter,
        }
    )
    d.add(
        ev.TICKET_TRANSFERRED,
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=cnt.staff,
        from_service=t.service,
        to_service=to_service,
        to_counter=to_counter,
        order_key=key,
    )
    return d


def evaluate(state: HallState, cmd: c.Evaluate, now: Reading) -> Decision:
    cnt = state.counter(cmd.counter)
    if cnt is None:
        raise Refused("unknown_counter", f"没有 {cmd.counter} 号窗口", "")
    if cmd.rating is not None and not (isinstance(cmd.rating, int) and 1 <= cmd.rating <= 5):
        raise Refused("bad_rating", "评价应为 1–5 分", "")
    if cmd.number:
        t = state.ticket_by_number(state.open_day or _today(state, now), cmd.number)
    else:
        tid = state.last_finished.get(cnt.id) or cnt.current
        t = state.tickets.get(tid) if tid else None
    if t is None:
        raise Refused("nothing_to_rate", "没有可评价的号", "")
    if t.rated or t.id in state.evaluations:
        raise Refused(
            "already_rated", f"{t.number} 号已评价", "每个号只能评价一次", number=t.number
        )
    d = Decision(result={"number": t.number, "ticket_id": t.id, "rating": cmd.rating})
    d.add(
        ev.EVALUATION_SUBMITTED,
        ticket_id=t.id,
        number=t.number,
        counter=cnt.id,
        staff=t.staff or cnt.staff,
        rating=cmd.rating,
        service=t.service,
    )
    return d


# --- from the city and the devices --------------------------------------------------------

_APPT_FIELDS = ("id", "version", "status", "service", "date", "slot_start", "slot_end")


def apply_appointment(state: HallState, cmd: c.ApplyAppointment, now: Reading) -> Decision:
    ch = cmd.change
    missing = [f for f in _APPT_FIELDS if f not in ch]
    if missing:
        raise Refused("bad_appointment", f"appointment change lacks {', '.join(missing)}", "")
    try:
        preview = decide_appointment_preview({**ch, "status": ch["status"]})
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused("bad_appointment", f"appointment change is not valid: {exc}", "") from None
    if (
        preview.status is AppointmentStatus.CHECKED_IN
        or preview.status is AppointmentStatus.NO_SHOW
    ):
        raise Refused("bad_appointment", f"status {preview.status} is the hall's to set", "")
    old = state.appointments.get(preview.id)
    if old is not None and old.version >= preview.version:
        return Decision(result={"applied": False, "id": preview.id, "held_version": old.version})
    if state.last_closed_day is not None and preview.day <= state.last_closed_day:
        return Decision(result={"applied": False, "id": preview.id, "reason": "day_closed"})
    data = {k: ch[k] for k in _APPT_FIELDS}
    data.update({"code": ch.get("code") or "", "priority": ch.get("priority") or "normal"})
    citizen = ch.get("citizen") or {}
    if citizen.get("id_hash"):
        data["id_hash"] = str(citizen["id_hash"]).lower()
    if citizen.get("name_masked"):
        data["name_masked"] = citizen["name_masked"]
    d = Decision(result={"applied": True, "id": preview.id, "version": preview.version})
    d.add(ev.APPOINTMENT_RECEIVED, **data)
    return d


def apply_catalog(state: HallState, cmd: c.ApplyCatalog, now: Reading) -> Decision:
    try:
        cat = parse_catalog({"version": cmd.version, "services": cmd.services})
    except CatalogError as exc:
        raise Refused(
            "bad_catalog", f"catalog version {cmd.version} is not valid: {exc}", ""
        ) from None
    if cat.version <= state.catalog.version and state.catalog.services:
        return Decision(result={"applied": False, "version": state.catalog.version})
    d = Decision(result={"applied": True, "version": cat.version})
    d.add(ev.CATALOG_APPLIED, version=cat.version, services=catalog_to_wire(cat))
    return d


def configure_counters(state: HallState, cmd: c.ConfigureCounters, now: Reading) -> Decision:
    try:
        specs = parse_counter_specs(cmd.counters)
    except CatalogError as exc:
        raise Refused("bad_counters", str(exc), "") from None
    current = tuple(x.spec for x in state.counters.values())
    if current == specs:
        return Decision(result={"applied": False})
    for cid, cnt in state.counters.items():
        if cid not in {s.id for s in specs} and (cnt.staff or cnt.current or cnt.held):
            raise Refused("counter_in_use", f"counter {cid} is in use and cannot be removed", "")
    d = Decision(result={"applied": True, "counters": len(specs)})
    d.add(ev.COUNTERS_CONFIGURED, counters=cmd.counters)
    return d


def report_device(state: HallState, cmd: c.ReportDevice, now: Reading) -> Decision:
    prev = state.devices.get(cmd.device)
    d = Decision(result={"device": cmd.device, "changed": False})
    if prev is not None and prev["ok"] == cmd.ok and prev["state"] == cmd.state:
        return d
    if prev is None and cmd.ok:
        # First report and healthy: recorded, not an event worth the city's attention.
        d.add(
            ev.DEVICE_RECOVERED,
            device=cmd.device,
            kind=cmd.kind,
            ok=True,
            state=cmd.state,
            detail=cmd.detail,
            first=True,
        )
    else:
        d.add(
            ev.DEVICE_RECOVERED if cmd.ok else ev.DEVICE_FAULT,
            device=cmd.device,
            kind=cmd.kind,
            ok=cmd.ok,
            state=cmd.state,
            detail=cmd.detail,
        )
    d.result["changed"] = True
    return d


def close_day_cmd(state: HallState, cmd: c.CloseDay, now: Reading) -> Decision:
    if state.open_day is None:
        raise Refused("no_open_day", "没有进行中的营业日", "")
    return close_day(state, state.open_day, auto=False)


_DECIDERS: dict[type, Any] = {
    c.IssueTicket: issue,
    c.ConfirmPrinted: confirm_printed,
    c.VoidTicket: void_ticket,
    c.ExpireUnprinted: expire_unprinted,
    c.CheckIn: check_in,
    c.SignIn: sign_in,
    c.SignOut: sign_out,
    c.Pause: pause,
    c.Resume: resume,
    c.CallNext: call_next,
    c.CallNumber: call_number,
    c.Recall: recall,
    c.Skip: skip,
    c.Reinstate: reinstate,
    c.Start: start,
    c.Finish: finish,
    c.Hold: hold,
    c.CallBack: call_back,
    c.Transfer: transfer,
    c.Evaluate: evaluate,
    c.ApplyAppointment: apply_appointment,
    c.ApplyCatalog: apply_catalog,
    c.ConfigureCounters: configure_counters,
    c.ReportDevice: report_device,
    c.CloseDay: close_day_cmd,
}


def decide(state: HallState, cmd: c.Command, now: Reading) -> Decision:
    """The events a command makes, or `Refused`. Never changes `state`."""
    decider = _DECIDERS.get(type(cmd))
    if decider is None:
        raise Refused("unknown_command", f"unknown command {type(cmd).__name__}", "")
    result: Decision = decider(state, cmd, now)
    return result


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
