"""The words each screen shows, from the flows' state. Pure: the views (kiosk/ui) only put
these strings into widgets, so what a citizen reads is tested without Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk import navigation
from kiosk.flow.hall import HallState
from kiosk.flow.router import Router
from kiosk.outcomes import Arrived, PrintFailed, TicketInfo, Void
from kiosk.services import ServiceEntry
from kiosk.texts import category_text, state_text


def service_name(r: Router, e: ServiceEntry) -> str:
    return e.shown_name(r.lang)


def category(r: Router, name: str) -> str:
    return category_text(name, r.lang) if name else r.text("all_categories")


def names_note(r: Router, entries: list[ServiceEntry]) -> str:
    """English screens say so when service names stay Chinese (no ``name_en`` given)."""
    if r.lang == "en" and any(not e.name_en for e in entries):
        return r.text("names_zh_only")
    return ""


def tile_detail(r: Router, hall: HallState, e: ServiceEntry) -> str:
    if not hall.service_open(e):
        return f"{r.text('service_closed')}  {e.hours_text}".strip()
    if e.waiting == 0:
        return r.text("no_wait")
    est = (
        r.text("est_wait", m=at_least_a_minute(e.est_wait_min))
        if e.est_wait_min is not None
        else r.text("est_none")
    )
    return f"{r.text('waiting', n=e.waiting)} · {est}"


def at_least_a_minute(minutes: int) -> int:
    """With someone ahead the wait is never "约 0 分钟": under a minute reads as about 1."""
    return max(1, minutes)


def paused(r: Router, state: str | None) -> tuple[str, str] | None:
    """(title, text) of 暂停取号 while the printer cannot print, else None."""
    if state is None:
        return None
    return r.text("paused_title"), r.text("paused_text", state=state_text(state, r.lang))


@dataclass(frozen=True)
class TicketScreen:
    number: str
    service: str
    ahead: str
    wait: str  # "" when nobody is ahead
    timing: str  # check-in: how the appointment is served, and its time slot
    watch: str


def ticket(r: Router, tk: TicketInfo) -> TicketScreen:
    if tk.waiting_ahead:
        ahead = r.text("ahead", n=tk.waiting_ahead)
        wait = (
            r.text("wait_about", m=at_least_a_minute(tk.est_wait_min))
            if tk.est_wait_min is not None
            else r.text("wait_unknown")
        )
    else:
        ahead, wait = r.text("ahead_none"), ""
    timing = r.text(f"timing_{tk.timing}") if tk.timing else ""
    if timing and tk.slot:
        start, end = tk.slot.split("-")
        timing += "\n" + r.text("slot", start=start, end=end)
    return TicketScreen(tk.number, tk.service_name, ahead, wait, timing, r.text("watch_calls"))


@dataclass(frozen=True)
class ArrivedScreen:
    title: str  # 签到成功, or 您已签到，请留意叫号 for a second arrival
    number: str
    ahead: str  # the place in line, or what the board says of the ticket's service
    wait: str  # "" when not known or nobody is ahead
    text: str


def arrived(r: Router, hall: HallState, a: Arrived) -> ArrivedScreen:
    """A phone ticket checked in. Its place comes from the hub's reply when it carries one;
    otherwise the board's waiting count of the ticket's service (by the number's letter
    when the reply names no service): never a figure the kiosk made up."""
    title = r.text("arrived_already" if a.already else "arrived_title")
    if a.waiting_ahead is not None:
        shown = ticket(r, _as_ticket(a))
        ahead, wait = shown.ahead, shown.wait
    else:
        ahead, wait = "\n".join(_board_waiting(r, hall, a)), ""
    return ArrivedScreen(title, a.number, ahead, wait, r.text("arrived_text"))


def _as_ticket(a: Arrived) -> TicketInfo:
    return TicketInfo(
        ticket_id=a.ticket_id,
        number=a.number,
        service=a.service or "",
        service_name="",
        waiting_ahead=a.waiting_ahead or 0,
        est_wait_min=a.est_wait_min,
        priority="normal",
        issued_at=0.0,
        qr_url="",
    )


MAX_SERVICES_SHOWN = 3  # a letter shared by many services: the first few


def _board_waiting(r: Router, hall: HallState, a: Arrived) -> list[str]:
    on_board = {
        s.get("code") for s in (hall.board or {}).get("services", []) or [] if isinstance(s, dict)
    }
    if a.service:
        entries = [e for e in hall.entries if e.code == a.service]
    else:
        entries = [e for e in hall.entries if e.service.prefix == a.number[:1].upper()]
    lines = []
    for e in entries:
        if e.code not in on_board:
            continue  # no figure for it on the board: say nothing rather than "no wait"
        name = service_name(r, e)
        key = "arrived_waiting" if e.waiting else "arrived_waiting_none"
        lines.append(r.text(key, service=name, n=e.waiting))
    return lines[:MAX_SERVICES_SHOWN]


@dataclass(frozen=True)
class FailedScreen:
    """A failed print. Voided: 作废 first and large, the number small and marked as never
    called; kept for reprint: the number is valid, note it and ask for a reprint."""

    voided: bool
    title: str
    number: str
    text: str


def failed(r: Router, outcome: PrintFailed) -> FailedScreen:
    number = outcome.ticket.number
    if outcome.voided:
        return FailedScreen(
            True, r.text("void_title"), r.text("void_number", number=number), r.text("void_text")
        )
    return FailedScreen(False, r.text("reprint_title"), number, r.text("reprint_text"))


def nearby_status(r: Router, hall: HallState, has_rows: bool) -> str:
    """When the figures are from, or why there are none: one clear sentence."""
    data = hall.nearby or {}
    if not navigation.services_offered(data):
        return r.text("nearby_none")
    if not has_rows:
        return r.text("nearby_none_service")
    at = navigation.as_of(data)
    if at is None:
        return ""
    return r.text("nearby_at" if data.get("online") else "nearby_offline", at=at)


def nearby_row(r: Router, i: int, row: navigation.NearbyRow) -> tuple[str, str, str]:
    """(name, address · distance · load, the ranking's reason) of one hall."""
    if row.waiting == 0:
        load = r.text("no_wait")
    else:
        load = r.text("waiting", n=row.waiting) if row.waiting is not None else r.text("est_none")
        if row.est_wait_min is not None:
            load += " · " + r.text("est_wait", m=at_least_a_minute(row.est_wait_min))
    km = f"{row.distance_km:.1f}" if row.distance_km is not None else "—"
    detail = f"{row.address}  ·  " + r.text("nearby_row", km=km, load=load)
    return f"{i + 1}. {row.name}", detail, row.reason if r.lang == "zh" else ""


def voids_line(r: Router, voids: list[Void]) -> str:
    if not voids:
        return ""
    items = [
        r.text(
            "tech_void",
            number=v.number,
            reason=state_text(v.reason, r.lang),
            time=datetime.fromtimestamp(v.at, r.opt.tz).strftime("%H:%M"),
        )
        for v in voids[:5]
    ]
    return r.text("tech_voids", list="、".join(items) if r.lang == "zh" else ", ".join(items))


def inputs_line(r: Router, inputs: dict[str, tuple[str, str]]) -> str:
    shown = [f"{name} {state} {detail}".strip() for name, (state, detail) in inputs.items()]
    return r.text("tech_inputs", list="；".join(shown) or "—")


def versions_line(r: Router) -> str:
    sep = "；" if r.lang == "zh" else "; "  # "hall 0.1.0；Python 3.11.7", not run together
    return r.text("tech_versions", list=sep.join(f"{k} {v}" for k, v in r.opt.versions))
