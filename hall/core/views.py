"""What the screens and `hall queue status` show, computed from the state. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hall.core.decide import state_zh
from hall.core.estimate import ahead_of, estimate_minutes, serving_counters, waiting_count
from hall.core.model import Ticket, TicketState
from hall.core.selection import waiting_for
from hall.core.state import HallState
from hall.core.timekeeping import local


def services_view(state: HallState) -> list[dict[str, Any]]:
    out = []
    for s in state.catalog.services:
        if not any(s.code in c.spec.services for c in state.counters.values()):
            continue
        waiting = waiting_count(state, s.code)
        open_n, _busy, _conf = serving_counters(state, s.code)
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "category": s.category,
                "prefix": s.prefix,
                "waiting": waiting,
                "est_wait_min": estimate_minutes(state, s.code, waiting),
                "open_counters": open_n,
                "on_the_way": sum(1 for t in state.waiting_in(s.code).values() if not t.arrived),
            }
        )
    return out


def counter_view(state: HallState, counter_id: str) -> dict[str, Any]:
    c = state.counters[counter_id]  # type: ignore[index]
    cur = state.tickets.get(c.current) if c.current else None
    return {
        "counter": c.id,
        "name": c.spec.display_name,
        "state": c.state.value,
        "staff": c.staff,
        "current": (
            {
                "number": cur.number,
                "state": cur.state.value,
                "state_zh": state_zh(cur.state),
                "service": cur.service,
                "calls": cur.calls,
            }
            if cur
            else None
        ),
        "held": [state.tickets[h].number for h in c.held if h in state.tickets],
        "waiting": waiting_for(state, c),
        "services": list(c.spec.services),
    }


def masked_name(state: HallState, number: str) -> str | None:
    """The city's masked name ("张*") of an appointment or remote ticket of the open day."""
    if state.open_day is None:
        return None
    t = state.ticket_by_number(state.open_day, number)
    if t is None:
        return None
    if t.name_masked:  # a remote ticket: the city sent it with the request
        return t.name_masked
    if t.appointment_id is None:
        return None
    a = state.appointments.get(t.appointment_id)
    return a.name_masked if a is not None and a.name_masked else None


def _call_entry(state: HallState, call: dict[str, Any], masked: bool) -> dict[str, Any]:
    out = {**call, "at": local(call["at"], state.tz).isoformat(timespec="seconds")}
    name = masked_name(state, call["number"]) if masked else None
    if name:
        out["masked_name"] = name
    return out


def board_view(
    state: HallState, hall_name: str = "", notice: str = "", masked_names: bool = False
) -> dict[str, Any]:
    """The hall board: recent calls, per-service waiting and estimate, counters' states.
    No names, unless the hall turned masked names on (then "张*" of appointment tickets)."""
    return {
        "hall_id": state.hall_id,
        "hall_name": hall_name,
        "notice": notice,
        "day": state.open_day.isoformat() if state.open_day else None,
        "seq": state.last_seq,
        "calls": [_call_entry(state, call, masked_names) for call in state.recent_calls],
        "services": services_view(state),
        "counters": [
            {
                "counter": c.id,
                "name": c.spec.display_name,
                "state": c.state.value,
                "current": state.tickets[c.current].number if c.current in state.tickets else None,
            }
            for c in state.counters.values()
        ],
    }


def catalog_view(state: HallState, hall_name: str = "") -> dict[str, Any]:
    """The services this hall offers (served by a configured counter), for the kiosk."""
    offered = {code for c in state.counters.values() for code in c.spec.services}
    return {
        "hall_id": state.hall_id,
        "hall_name": hall_name,
        "version": state.catalog.version,
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "category": s.category,
                "prefix": s.prefix,
                "appointable": s.appointable,
                "daily_quota": s.daily_quota,
                "avg_minutes": s.avg_minutes,
                "hours": [
                    {
                        "days": sorted(h.days),
                        "from": h.start.strftime("%H:%M"),
                        "to": h.end.strftime("%H:%M"),
                    }
                    for h in s.hours
                ],
                "hours_text": s.hours_text(),
                **({"name_en": s.name_en} if s.name_en else {}),
            }
            for s in state.catalog.services
            if s.code in offered
        ],
    }


def devices_view(state: HallState) -> dict[str, Any]:
    """Every device a role has reported, its last state, for technicians and `hall doctor`."""
    return {
        "devices": [
            {
                "device": d.device,
                "kind": d.kind,
                "ok": d.ok,
                "state": d.state,
                "detail": d.detail,
                "at": local(d.at, state.tz).isoformat(timespec="seconds"),
            }
            for d in sorted(state.devices.values(), key=lambda d: d.device)
        ]
    }


_PROGRESS_STATUS = {
    TicketState.PRINTING: "waiting",
    TicketState.WAITING: "waiting",
    TicketState.HELD: "serving",
    TicketState.CALLED: "called",
    TicketState.SERVING: "serving",
    TicketState.FINISHED: "done",
    TicketState.SKIPPED: "cancelled",
    TicketState.CANCELLED: "cancelled",
}


Estimator = Callable[[HallState, Ticket, int], int | None]


def _estimate_now(state: HallState, t: Ticket, ahead: int) -> int | None:
    return estimate_minutes(state, t.service, ahead)


def progress_view(
    state: HallState, t: Ticket, estimate: Estimator = _estimate_now
) -> dict[str, Any]:
    """A tracked ticket's place, estimate and state, as the city's `ticket-progress` carries
    it (contract v1.1): no personal data, not even the masked name. `approaching`: within
    the hall's reminder threshold (即将到号)."""
    status = _PROGRESS_STATUS[t.state]
    if t.state is TicketState.CANCELLED and t.cancel_reason == "no_show":
        status = "no_show"
    ahead: int | None = None
    est: int | None = None
    if status == "waiting":
        ahead = ahead_of(state, t)
        est = estimate(state, t, ahead)
    r = state.rules
    approaching = status == "waiting" and (
        (ahead is not None and ahead <= r.reminder_ahead)
        or (est is not None and est <= r.reminder_minutes)
    )
    return {
        "ticket_id": t.id,
        "number": t.number,
        "status": status,
        "arrived": t.arrived,
        "waiting_ahead": ahead,
        "est_wait_min": est,
        "counter": t.counter if status in ("called", "serving") else None,
        "approaching": approaching,
    }


class ProgressEstimates:
    """The tracked tickets' estimates, worked out again only when a ticket's place changes
    or `refresh_s` of hall time (the last event's) have passed. The hub publishes progress
    after every command and an estimate is the costly part of a view, while the city hears
    of an estimate only with a change of place or state (sync's rate limit) or at the
    reminder threshold, which a refresh every `refresh_s` still finds in time. Pure."""

    def __init__(self, refresh_s: float = 30.0) -> None:
        self.refresh_s = refresh_s
        self._known: dict[str, tuple[int, int | None, float]] = {}  # id: ahead, est, at
        self.computed = 0

    def __call__(self, state: HallState, t: Ticket, ahead: int) -> int | None:
        known = self._known.get(t.id)
        if known is not None and known[0] == ahead and state.last_ts - known[2] < self.refresh_s:
            return known[1]
        est = estimate_minutes(state, t.service, ahead)
        self._known[t.id] = (ahead, est, state.last_ts)
        self.computed += 1
        return est

    def views(self, state: HallState) -> dict[str, dict[str, Any]]:
        """`tracked_progress` with these estimates (and those of tickets gone forgotten)."""
        out = tracked_progress(state, self)
        for tid in [x for x in self._known if out.get(x, {}).get("status") != "waiting"]:
            del self._known[tid]
        return out


def tracked_progress(
    state: HallState, estimate: Estimator = _estimate_now
) -> dict[str, dict[str, Any]]:
    """Every tracked ticket of the open day (remote or watched), by ticket id."""
    return {
        t.id: progress_view(state, t, estimate)
        for t in state.tickets.values()
        if t.tracked and t.day == state.open_day
    }
