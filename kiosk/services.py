"""The home screen's services: catalog + board joined, grouped, open or closed. Pure.

Built from the hub's retained ``catalog`` and ``board`` payloads (hall.hubapi.protocol).
Opening hours are the queue core's own (``hall.core.model.Service.is_open`` and
``hours_text``, read by ``hall.core.catalog.parse_hours``), so the kiosk and the hub never
disagree on whether a service is open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hall.core.catalog import CatalogError, parse_hours
from hall.core.model import OpeningHours, Service, ServiceCode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceEntry:
    code: str
    name: str
    category: str
    service: Service
    waiting: int = 0
    est_wait_min: int | None = None
    open_counters: int = 0
    name_en: str = ""

    @property
    def hours_text(self) -> str:
        return self.service.hours_text()

    def is_open(self, at: datetime) -> bool:
        return self.service.is_open(at.isoweekday(), at.time())

    def shown_name(self, lang: str) -> str:
        """The name in ``lang``: the catalog's English name where it gives one."""
        return self.name_en if lang == "en" and self.name_en else self.name


def service_from_view(raw: dict[str, Any]) -> Service:
    """A core ``Service`` from one service of the hub's catalog view (``days`` there is a
    list of weekday numbers, the contract's "1-5" is read too). Raises ``CatalogError``.

    The core reads the contract's shape (``parse_service``) but not the hub's view of it;
    this is the kiosk's adapter until the core has one."""
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        raise CatalogError("service without a code")
    spans = []
    for span in raw.get("hours") or []:
        if isinstance(span, dict) and isinstance(span.get("days"), list):
            days = ",".join(str(d) for d in span["days"])
            span = {**span, "days": days}
        spans.append(span)
    hours: tuple[OpeningHours, ...] = parse_hours(spans, f"service {code}.hours")
    return Service(
        code=ServiceCode(code),
        name=str(raw.get("name") or code),
        category=str(raw.get("category") or ""),
        prefix=str(raw.get("prefix") or ""),
        appointable=bool(raw.get("appointable", False)),
        daily_quota=int(raw.get("daily_quota") or 0),
        avg_minutes=float(raw.get("avg_minutes") or 10),
        hours=hours,
    )


def build_entries(
    catalog: dict[str, Any] | None, board: dict[str, Any] | None
) -> list[ServiceEntry]:
    """The catalog's services in catalog order, with the board's waiting figures."""
    loads: dict[str, dict[str, Any]] = {}
    for item in (board or {}).get("services", []) or []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            loads[item["code"]] = item
    entries: list[ServiceEntry] = []
    for raw in (catalog or {}).get("services", []) or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            continue
        try:
            service = service_from_view(raw)
        except (CatalogError, TypeError, ValueError) as exc:
            log.warning("catalog service %s left out: %s", raw.get("code"), exc)
            continue
        load = loads.get(raw["code"], {})
        est = load.get("est_wait_min")
        name_en = raw.get("name_en")
        entries.append(
            ServiceEntry(
                code=raw["code"],
                name=service.name,
                category=service.category,
                service=service,
                waiting=int(load.get("waiting", 0) or 0),
                est_wait_min=int(est) if isinstance(est, int | float) else None,
                open_counters=int(load.get("open_counters", 0) or 0),
                name_en=name_en.strip() if isinstance(name_en, str) else "",
            )
        )
    return entries


def categories(entries: list[ServiceEntry]) -> list[str]:
    """The categories in the order their first service appears."""
    seen: dict[str, None] = {}
    for e in entries:
        seen.setdefault(e.category, None)
    return [c for c in seen if c]


def open_now(entries: list[ServiceEntry], at: datetime) -> bool:
    """True when at least one service takes tickets at ``at``."""
    return any(e.is_open(at) for e in entries)


def hours_lines(entries: list[ServiceEntry]) -> list[str]:
    """The distinct opening hours texts, for the closed screen."""
    seen: dict[str, None] = {}
    for e in entries:
        if e.service.hours:
            seen.setdefault(e.hours_text, None)
    return list(seen)
