"""Taking a ticket: whether the hall may issue, the number, its place and estimate."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache

from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.decide.base import Decision, today
from hall.core.errors import Refused
from hall.core.estimate import estimate_minutes
from hall.core.model import Priority, Service, Source, TicketState
from hall.core.rules import AfterMax
from hall.core.state import HallState
from hall.core.timekeeping import Reading, local


def ticket_id_for(hall_id: str, day: date, number: str, *, key: bytes) -> str:
    """A ticket's id: unique across halls and days, and unguessable: a keyed hash (HMAC-SHA256
    with the hall's secret `key`, 96 bits) of hall, day and number, so seeing a number on the
    board does not give the id. The id is in the event: replays never derive it again."""
    inner, outer = _hmac_pads(key)
    h = inner.copy()
    h.update(f"{hall_id}/{day.isoformat()}/{number}".encode())
    o = outer.copy()
    o.update(h.digest())
    return o.hexdigest()[:24]


@lru_cache(maxsize=4)
def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) of one key with its inner and outer pads hashed once: the same
    result as hmac.digest at half the cost (a hall's key does not change)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def can_issue(state: HallState, service_code: str, now: Reading) -> tuple[Service, date]:
    """The service and business day a new ticket would get, or `Refused` saying why not."""
    if not now.trusted and (state.open_day is None or now.why == "not_set"):
        # No business day is open and the clock cannot say which day it is: a new box at
        # 1970, a clock behind the log, a jump of months without NTP (timekeeping.judge).
        raise Refused(
            "clock_not_set",
            "系统时间未校准，暂停取号",
            "请联系工作人员校准时间",
            clock=now.why,
        )
    day = today(state, now)
    if state.last_closed_day is not None and day <= state.last_closed_day:
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
    return svc, day


def check_quota(state: HallState, svc: Service, day: date) -> None:
    """A walk-in is refused once the day's tickets of the service reach its quota. Every
    ticket counts, appointment check-ins too, but a check-in is never refused by the quota:
    the booking already holds its place (docs/QUEUE_RULES.md)."""
    count = state.issued_count.get((day, svc.code), 0)
    if svc.daily_quota and count >= svc.daily_quota:
        raise Refused(
            "quota_reached",
            f"今日「{svc.name}」号已取完（限 {svc.daily_quota} 个）",
            "请明天再来，或通过预约渠道预约",
        )


def _number(state: HallState, prefix: str, day: date) -> tuple[int, str]:
    serial = state.serials.get((day, prefix), 0) + 1
    width = state.rules.number_width
    if serial >= 10**width and state.rules.after_max is AfterMax.REFUSE:
        raise Refused(
            "numbers_exhausted", f"今日 {prefix} 类号码已取完", "请明天再来或咨询工作人员"
        )
    return serial, f"{prefix}{serial:0{width}d}"


def new_ticket(
    state: HallState,
    svc: Service,
    day: date,
    now: Reading,
    *,
    priority: Priority,
    source: Source,
    order_key: float,
    printing: bool,
    appointment_id: str | None = None,
    kiosk: str | None = None,
) -> tuple[ev.TicketIssued, rs.TicketResult]:
    """The event of a new ticket and what the citizen is told about it."""
    serial, number = _number(state, svc.prefix, day)
    tid = ticket_id_for(state.hall_id, day, number, key=state.ticket_key)
    queue = state.waiting_index.queue(svc.code)
    ahead = queue.at_or_before(order_key) if queue is not None else 0
    est = estimate_minutes(state, svc.code, ahead)
    status = TicketState.PRINTING if printing else TicketState.WAITING
    event = ev.TicketIssued(
        ticket_id=tid,
        number=number,
        service=svc.code,
        source=source.value,
        waiting_ahead=ahead,
        est_wait_min=est,
        priority=priority.value,
        prefix=svc.prefix,
        serial=serial,
        day=day.isoformat(),
        order_key=order_key,
        status=status.value,
        appointment_id=appointment_id or None,
        kiosk=kiosk or None,
    )
    result = rs.TicketResult(
        ticket_id=tid,
        number=number,
        service=svc.code,
        service_name=svc.name,
        waiting_ahead=ahead,
        est_wait_min=est,
        priority=priority.value,
        source=source.value,
        day=day.isoformat(),
        issued_at=now.ts,
        status=status.value,
    )
    return event, result


def issue(state: HallState, cmd: c.IssueTicket, now: Reading) -> Decision:
    svc, day = can_issue(state, cmd.service, now)
    check_quota(state, svc, day)
    credit = state.rules.priority_credit_minutes * 60 if cmd.priority is not Priority.NORMAL else 0
    event, result = new_ticket(
        state,
        svc,
        day,
        now,
        priority=cmd.priority,
        source=Source.WALK_IN,
        order_key=now.ts - credit,
        printing=cmd.confirm_print,
        kiosk=cmd.kiosk,
    )
    return Decision([event], result)


def confirm_printed(state: HallState, cmd: c.ConfirmPrinted, now: Reading) -> Decision:
    t = state.tickets.get(cmd.ticket_id)  # type: ignore[call-overload]
    if t is None:
        raise Refused("unknown_ticket", "没有这张号票", "请重新取号")
    if t.state is TicketState.CANCELLED:
        raise Refused("ticket_voided", f"{t.number} 号已作废", "请重新取号")
    if t.state is not TicketState.PRINTING:
        return Decision([], rs.TicketStateResult(t.id, t.number, t.state.value))
    return Decision(
        [ev.TicketPrinted(ticket_id=t.id, number=t.number)],
        rs.TicketStateResult(t.id, t.number, TicketState.WAITING.value),
    )


def void_ticket(state: HallState, cmd: c.VoidTicket, now: Reading) -> Decision:
    t = state.tickets.get(cmd.ticket_id)  # type: ignore[call-overload]
    if t is None:
        raise Refused("unknown_ticket", "没有这张号票", "请重新取号")
    if t.state in (TicketState.CANCELLED, TicketState.FINISHED):
        return Decision([], rs.TicketStateResult(t.id, t.number, t.state.value))
    return Decision(
        [ev.TicketCancelled(ticket_id=t.id, number=t.number, reason=cmd.reason)],
        rs.TicketStateResult(t.id, t.number, TicketState.CANCELLED.value),
    )
