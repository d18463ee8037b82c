"""Appointments as the city sends them, as the log records them, and as the hall holds them:
the one place their fields are read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hall.core import events as ev
from hall.core.model import (
    Appointment,
    AppointmentId,
    AppointmentStatus,
    Priority,
    ServiceCode,
    TicketId,
)

CITY_STATUSES = frozenset({"booked", "rescheduled", "cancelled"})


def from_city(change: dict[str, Any]) -> ev.AppointmentReceived:
    """The event for an appointment change in the contract's shape (with `citizen`);
    ValueError saying what is wrong. Only the masked name and the keyed hash are kept."""
    missing = [f for f in ("id", "version", "status", "service", "date") if f not in change]
    missing += [f for f in ("slot_start", "slot_end") if f not in change]
    if missing:
        raise ValueError(f"appointment change lacks {', '.join(missing)}")
    if change["status"] not in CITY_STATUSES:
        raise ValueError(f"status {change['status']!r} is the hall's to set")
    citizen = change.get("citizen") or {}
    if not isinstance(citizen, dict):
        raise ValueError("citizen must be an object")
    payload = ev.AppointmentReceived(
        id=str(change["id"]),
        version=int(change["version"]),
        status=str(change["status"]),
        service=str(change["service"]),
        date=str(change["date"]),
        slot_start=str(change["slot_start"]),
        slot_end=str(change["slot_end"]),
        code=str(change.get("code") or ""),
        priority=str(change.get("priority") or "normal"),
        id_hash=str(citizen["id_hash"]).lower() if citizen.get("id_hash") else None,
        name_masked=str(citizen["name_masked"]) if citizen.get("name_masked") else None,
    )
    appointment(payload)  # every field parses
    return payload


def appointment(
    p: ev.AppointmentReceived,
    *,
    status: AppointmentStatus | None = None,
    ticket_id: TicketId | None = None,
) -> Appointment:
    """The appointment an event describes (ValueError when a field does not parse)."""
    return Appointment(
        id=AppointmentId(p.id),
        version=int(p.version),
        status=status if status is not None else AppointmentStatus(p.status),
        service=ServiceCode(p.service),
        day=date.fromisoformat(p.date),
        slot_start=datetime.strptime(p.slot_start, "%H:%M").time(),
        slot_end=datetime.strptime(p.slot_end, "%H:%M").time(),
        code=p.code or "",
        id_hash=p.id_hash,
        name_masked=p.name_masked,
        priority=Priority(p.priority or "normal"),
        ticket_id=ticket_id,
    )
