"""Appointments: checking one in at the kiosk, and the city's changes to them.

A signed QR token is only a key to the booking (contract v1.1): a hall that holds the
booking goes by what it holds — a token for a booking it knows to be cancelled, moved to
another day or slot, or already checked in is refused — and builds a booking from the token
only when it has not received that booking yet. One booking gives at most one ticket.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hall.core import appointments as ap
from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.decide.base import Decision, today
from hall.core.decide.issuing import can_issue, new_ticket
from hall.core.errors import Refused
from hall.core.model import Appointment, AppointmentId, AppointmentStatus, Priority, Source
from hall.core.state import HallState
from hall.core.timekeeping import Reading, at_local, local

ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED)


def _find(state: HallState, cmd: c.CheckIn, day: date) -> Appointment | None:
    if cmd.appointment_id:
        return state.appointments.get(AppointmentId(cmd.appointment_id))
    if cmd.token is not None and cmd.token.get("id"):
        return state.appointments.get(AppointmentId(str(cmd.token["id"])))
    if cmd.code:
        return next(
            (a for a in state.appointments.values() if a.code == cmd.code and a.day == day), None
        ) or next((a for a in state.appointments.values() if a.code == cmd.code), None)
    if cmd.id_hash:
        found = [a for a in state.appointments.values() if a.id_hash == cmd.id_hash.lower()]
        found.sort(key=lambda a: (a.day != day, a.slot_start))
        active = [a for a in found if a.status in ACTIVE]
        best = active or found
        return best[0] if best else None
    return None


def _from_token(state: HallState, token: dict[str, Any], day: date) -> ev.AppointmentReceived:
    """A booking from a signed token (its signature was checked before the command)."""
    if token.get("date") != day.isoformat():
        raise Refused(
            "appointment_not_today", f"您预约的是 {token.get('date')}", "请在预约当天到场签到"
        )
    try:
        payload = ev.AppointmentReceived(
            id=str(token["id"]),
            version=0,
            status=AppointmentStatus.BOOKED.value,
            service=str(token["service"]),
            date=str(token["date"]),
            slot_start=str(token["slot_start"]),
            slot_end=str(token["slot_end"]),
            origin="token",
        )
        ap.appointment(payload)
    except (KeyError, ValueError):
        raise Refused("bad_token", "预约二维码无法识别", "请出示预约码或身份证") from None
    return payload


def _token_matches(held: Appointment, token: dict[str, Any]) -> None:
    """A token of a booking the hall holds must describe it as it stands now."""
    hhmm = "%H:%M"
    slot = (held.day.isoformat(), held.slot_start.strftime(hhmm), held.slot_end.strftime(hhmm))
    said = (token.get("date"), token.get("slot_start"), token.get("slot_end"))
    if said != slot:
        raise Refused(
            "appointment_moved",
            f"您的预约已改为 {held.day.month}月{held.day.day}日 "
            f"{held.slot_start.strftime('%H:%M')}-{held.slot_end.strftime('%H:%M')}",
            "请按新的预约时间到场，或出示新的预约码",
            date=held.day.isoformat(),
        )


def _check_status(state: HallState, appt: Appointment, day: date) -> None:
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
    if appt.status is AppointmentStatus.NO_SHOW or appt.day < day:
        raise Refused(
            "appointment_expired", f"预约日期 {appt.day.isoformat()} 已过", "请重新预约或直接取号"
        )
    if appt.day > day:
        raise Refused(
            "appointment_not_today",
            f"您预约的是 {appt.day.month}月{appt.day.day}日",
            "请在预约当天到场签到",
            date=appt.day.isoformat(),
        )


def check_in(state: HallState, cmd: c.CheckIn, now: Reading) -> Decision:
    day = today(state, now)
    d = Decision()
    if cmd.token is not None and cmd.token.get("hall") != state.hall_id:
        raise Refused("appointment_other_hall", "此预约不是本大厅的", "请到预约的大厅办理")
    appt = _find(state, cmd, day)
    if appt is not None and cmd.token is not None and appt.status in ACTIVE:
        _token_matches(appt, cmd.token)
    if appt is None and cmd.token is not None:
        received = _from_token(state, cmd.token, day)
        d.add(received)
        appt = ap.appointment(received)
    if appt is None:
        raise Refused("appointment_not_found", "未找到您的预约", "请核对预约码，或直接取号")
    _check_status(state, appt, day)
    svc, _ = can_issue(state, appt.service, now)
    r = state.rules
    slot = at_local(day, datetime.combine(day, appt.slot_start), state.tz)
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
    if source is Source.APPOINTMENT_LATE and appt.priority is not Priority.NORMAL:
        key -= r.priority_credit_minutes * 60
    issued, ticket = new_ticket(
        state,
        svc,
        day,
        now,
        priority=appt.priority,
        source=source,
        order_key=key,
        printing=cmd.confirm_print,
        appointment_id=appt.id,
        kiosk=cmd.kiosk,
    )
    d.add(issued)
    d.add(
        ev.AppointmentCheckedIn(
            appointment_id=appt.id,
            ticket_id=issued.ticket_id,
            number=issued.number,
            service=svc.code,
            timing=timing,
        )
    )
    d.result = rs.TicketResult(
        **{
            **ticket.to_dict(),
            "appointment_id": appt.id,
            "timing": timing,
            "slot_start": appt.slot_start.strftime("%H:%M"),
            "slot_end": appt.slot_end.strftime("%H:%M"),
            "name_masked": appt.name_masked or None,
        }
    )
    return d


def apply_appointment(state: HallState, cmd: c.ApplyAppointment, now: Reading) -> Decision:
    try:
        received = ap.from_city(cmd.change)
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused("bad_appointment", f"appointment change is not valid: {exc}", "") from None
    preview = ap.appointment(received)
    old = state.appointments.get(preview.id)
    if old is not None and old.version >= preview.version:
        return Decision([], rs.AppointmentResult(False, preview.id, held_version=old.version))
    if state.last_closed_day is not None and preview.day <= state.last_closed_day:
        return Decision([], rs.AppointmentResult(False, preview.id, reason="day_closed"))
    return Decision([received], rs.AppointmentResult(True, preview.id, version=preview.version))
