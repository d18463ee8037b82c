"""云叫号: numbers taken from phones, their citizens' arrival, tickets the city follows.

A remote ticket takes its place when it is issued, in the hall's normal order (green
channel, appointments and ageing as for any ticket), but it is called only once its citizen
has arrived; one that reaches the front first keeps its place and is passed over (not
skipped), and at `arrive_by` it is cancelled as a no-show (docs/QUEUE_RULES.md, contract
v1.1 "Remote tickets and ticket progress").
"""

from __future__ import annotations

from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.decide.base import Decision, the_day
from hall.core.decide.issuing import can_issue, check_quota, new_ticket
from hall.core.errors import Refused
from hall.core.estimate import ahead_of, estimate_minutes
from hall.core.model import Priority, Source, Ticket, TicketId, TicketState
from hall.core.state import HallState
from hall.core.timekeeping import Reading, rfc3339

HOWS = frozenset({"geofence", "scan", "kiosk", "counter"})


def _remote_waiting(state: HallState, service: str) -> list[Ticket]:
    return [
        t
        for t in state.waiting_in(service).values()
        if t.source is Source.REMOTE and t.state is TicketState.WAITING
    ]


def issue_remote(state: HallState, cmd: c.IssueRemote, now: Reading) -> Decision:
    if cmd.expires is not None and now.ts > cmd.expires:
        raise Refused("expired", "请求已过期", "the request waited past its expiry: no ticket")
    if state.catalog.get(cmd.service) is None:
        raise Refused("service_unknown", "本大厅不办理此业务", "请核对业务或选择其他网点")
    try:
        svc, day = can_issue(state, cmd.service, now)
    except Refused as r:
        if r.code == "service_not_offered":
            raise Refused("service_unknown", r.message, r.hint) from None
        raise
    if not svc.remote:
        raise Refused(
            "not_appointable_remotely", f"「{svc.name}」不支持线上取号", "请到大厅现场取号"
        )
    check_quota(state, svc, day)
    waiting = _remote_waiting(state, svc.code)
    if len(waiting) >= state.rules.remote_limit_per_service:
        raise Refused("remote_limit", f"「{svc.name}」线上取号已满", "请稍后再试，或到大厅现场取号")
    id_hash = cmd.id_hash.lower() if cmd.id_hash else None
    if id_hash and any(t.id_hash == id_hash for t in waiting):
        raise Refused("duplicate_citizen", "您已有一个等候中的号", "同一业务每天只能线上取一个号")
    credit = state.rules.priority_credit_minutes * 60 if cmd.priority is not Priority.NORMAL else 0
    arrive_by = now.ts + state.rules.remote_arrive_minutes * 60
    issued, ticket = new_ticket(
        state,
        svc,
        day,
        now,
        priority=cmd.priority,
        source=Source.REMOTE,
        order_key=now.ts - credit,
        printing=False,
    )
    issued = ev.TicketIssued(
        **{
            **issued.to_dict(),
            "request_id": cmd.request_id,
            "arrive_by": rfc3339(arrive_by, state.tz),
            "arrived": False,
            "id_hash": id_hash,
            "phone_tail": cmd.phone_tail or None,
            "name_masked": cmd.name_masked or None,
        }
    )
    result = rs.RemoteResult(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        service=svc.code,
        waiting_ahead=ticket.waiting_ahead,
        est_wait_min=ticket.est_wait_min,
        arrive_by=rfc3339(arrive_by, state.tz),
    )
    return Decision([issued], result)


def _find(state: HallState, cmd: c.MarkArrived, now: Reading) -> Ticket:
    if cmd.ticket_id:
        found = state.tickets.get(TicketId(cmd.ticket_id))
        if found is None:
            raise Refused("unknown_ticket", "没有这张号票", "请核对，或到服务台咨询")
        return found
    if cmd.number and cmd.phone_tail:
        t = state.ticket_by_number(the_day(state, now), cmd.number)
        if t is None or t.source is not Source.REMOTE or t.phone_tail != cmd.phone_tail:
            # one answer for both: the number does not tell whose it is
            raise Refused(
                "not_yours", "号码与手机尾号不符", "请核对号码和手机号后四位，或到服务台咨询"
            )
        return t
    raise Refused("bad_arrival", "请扫描手机上的号码二维码，或输入号码和手机尾号", "")


def mark_arrived(state: HallState, cmd: c.MarkArrived, now: Reading) -> Decision:
    if cmd.how not in HOWS:
        raise Refused("bad_arrival", f"unknown arrival kind {cmd.how[:20]!r}", "")
    t = _find(state, cmd, now)
    if t.state is TicketState.CANCELLED:
        if t.cancel_reason == "no_show":
            raise Refused("no_show", f"{t.number} 号已过到场时间，已取消", "请重新取号")
        raise Refused("ticket_voided", f"{t.number} 号已作废", "请重新取号")
    if t.state is TicketState.FINISHED:
        raise Refused("ticket_done", f"{t.number} 号已办结", "")
    ahead = ahead_of(state, t) if t.state is TicketState.WAITING else 0
    place = (t.service, ahead, estimate_minutes(state, t.service, ahead))
    if t.arrived:
        return Decision([], rs.ArrivedResult(t.id, t.number, *place, already=True))
    return Decision(
        [ev.TicketArrived(ticket_id=t.id, number=t.number, how=cmd.how)],
        rs.ArrivedResult(t.id, t.number, *place),
    )


def watch(state: HallState, cmd: c.Watch, now: Reading) -> Decision:
    t = state.tickets.get(TicketId(cmd.ticket_id))
    if t is None:
        raise Refused("unknown_ticket", "没有这张号票", "只能关注今天的号")
    result = rs.WatchResult(t.id, t.number, t.state.value)
    if t.watched or t.source is Source.REMOTE:
        return Decision([], result)  # followed already
    return Decision([ev.TicketWatched(ticket_id=t.id, number=t.number)], result)


def no_shows(state: HallState, now: Reading) -> list[Ticket]:
    """Remote tickets whose citizen did not arrive by `arrive_by`."""
    return [
        t
        for t in state.tickets.values()
        if t.source is Source.REMOTE
        and not t.arrived
        and t.state is TicketState.WAITING
        and t.arrive_by is not None
        and now.ts >= t.arrive_by
    ]
