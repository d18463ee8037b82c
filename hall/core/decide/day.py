"""The business day: closing it, and the hub's housekeeping between commands."""

from __future__ import annotations

from datetime import date

from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.decide.base import Decision, auto_finish
from hall.core.decide.remote import no_shows
from hall.core.errors import Refused
from hall.core.model import AppointmentStatus, TicketState
from hall.core.rules import PrintFailure
from hall.core.state import HallState
from hall.core.timekeeping import Reading, rfc3339


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
    issued = finished = cancelled = skipped = 0
    by_service: dict[str, dict[str, int]] = {}
    for t in sorted(state.tickets.values(), key=lambda t: t.issued_seq):
        if t.day != day:
            continue
        row = by_service.setdefault(t.service, {"issued": 0, "finished": 0, "cancelled": 0})
        issued += 1
        row["issued"] += 1
        if t.state is TicketState.SERVING:
            d.add(auto_finish(t, "day_closed"))
            finished += 1
            row["finished"] += 1
        elif t.state is TicketState.SKIPPED:
            skipped += 1  # a no-show stays a no-show
        elif t.state.is_open:
            d.add(ev.TicketCancelled(ticket_id=t.id, number=t.number, reason="day_closed"))
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
            d.add(ev.AppointmentNoShow(appointment_id=a.id, service=a.service))
            no_shows += 1
    for cnt in state.counters.values():
        if cnt.staff is not None:
            d.add(ev.StaffLogout(counter=cnt.id, staff=cnt.staff, reason="day_closed"))
            d.add(ev.CounterClosed(counter=cnt.id))
    ratings = [e.rating for e in state.evaluations.values() if e.rating is not None]
    d.add(
        ev.DayClosed(
            day=day.isoformat(),
            auto=auto,
            issued=issued,
            finished=finished,
            skipped=skipped,
            cancelled=cancelled,
            appointment_no_shows=no_shows,
            evaluations=len(state.evaluations),
            avg_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
            by_service=by_service,
        )
    )
    d.result = rs.DayResult(day=day.isoformat(), issued=issued, finished=finished)
    return d


def close_day_cmd(state: HallState, cmd: c.CloseDay, now: Reading) -> Decision:
    if state.open_day is None:
        raise Refused("no_open_day", "没有进行中的营业日", "")
    return close_day(state, state.open_day, auto=False)


def _print_limit(state: HallState) -> float:
    limit = float(state.rules.print_confirm_seconds)
    if state.rules.print_failure is PrintFailure.REPRINT:
        limit *= 10  # the kiosk may try a second printer or the same one again
    return limit


def housekeeping_due(state: HallState, now: Reading) -> bool:
    """Whether `Housekeep` would change anything now: a day to close, or a reserved ticket
    whose kiosk never confirmed its print. The hub asks between commands (cheap)."""
    if state.open_day is not None and now.trusted and state.day_of(now.ts) > state.open_day:
        return True
    limit = _print_limit(state)
    if any(
        t.state is TicketState.PRINTING and now.ts - t.issued_at > limit
        for t in state.tickets.values()
    ):
        return True
    return bool(no_shows(state, now))


def housekeep(state: HallState, cmd: c.Housekeep, now: Reading) -> Decision:
    """Void reserved tickets whose kiosk never confirmed the print, cancel remote tickets
    whose citizen did not arrive in time (no_show); the day's close, if due, runs before
    every command anyway."""
    limit = _print_limit(state)
    d = Decision()
    voided = []
    for t in sorted(state.tickets.values(), key=lambda t: t.issued_seq):
        if t.state is TicketState.PRINTING and now.ts - t.issued_at > limit:
            d.add(ev.TicketCancelled(ticket_id=t.id, number=t.number, reason="print_unconfirmed"))
            voided.append(t.number)
    for t in sorted(no_shows(state, now), key=lambda t: t.issued_seq):
        d.add(ev.TicketCancelled(ticket_id=t.id, number=t.number, reason="no_show"))
    d.result = rs.ExpiredResult(voided=voided)
    return d


def accept_loss(state: HallState, cmd: c.AcceptLoss, now: Reading) -> Decision:
    if cmd.through_seq <= state.last_seq:
        raise Refused(
            "nothing_lost", f"the log already reaches event {state.last_seq}", "nothing to do"
        )
    first = state.last_seq + 1
    filler = ev.LogLost(first=first, last=cmd.through_seq, day=cmd.day, reserved=cmd.reserved)
    return Decision([filler] * (cmd.through_seq - first + 1), rs.LossResult(first, cmd.through_seq))


def rewind_clock(state: HallState, cmd: c.RewindClock, now: Reading) -> Decision:
    if cmd.to_ts >= state.last_ts:
        raise Refused(
            "not_in_the_future",
            f"the hall's time ({rfc3339(state.last_ts, state.tz)}) is not ahead of "
            f"{rfc3339(cmd.to_ts, state.tz)}",
            "nothing to rewind",
        )
    d = Decision()
    closed = None
    if state.open_day is not None and state.open_day > state.day_of(cmd.to_ts):
        d = close_day(state, state.open_day, auto=False)
        closed = state.open_day.isoformat()
    d.add(
        ev.ClockRewound(
            from_at=rfc3339(state.last_ts, state.tz),
            to_at=rfc3339(cmd.to_ts, state.tz),
            to_ts=cmd.to_ts,
            day=state.day_of(cmd.to_ts).isoformat(),
            serials=dict(cmd.serials),
            issued=dict(cmd.issued),
        )
    )
    d.result = rs.RewindResult(
        from_at=rfc3339(state.last_ts, state.tz),
        to_at=rfc3339(cmd.to_ts, state.tz),
        day=state.day_of(cmd.to_ts).isoformat(),
        closed_day=closed,
    )
    return d
