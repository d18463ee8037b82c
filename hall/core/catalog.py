"""Reading a catalog (the contract's shape) and counter lists into typed values.

Both come from outside (the city, a config file), so every field is checked and a bad one
raises `CatalogError` naming the service and the field.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from hall.core.model import Catalog, CounterId, CounterSpec, OpeningHours, Service, ServiceCode

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
_PREFIX = re.compile(r"^[A-Z]$")
_DAYS = re.compile(r"^([1-7])(?:-([1-7]))?$")


class CatalogError(ValueError):
    pass


def _hhmm(value: Any, where: str) -> time:
    try:
        return datetime.strptime(str(value), "%H:%M").time()
    except ValueError:
        raise CatalogError(f"{where}: '{value}' is not a time like 09:00") from None


def parse_days(value: str, where: str = "days") -> frozenset[int]:
    """'1-5' → Mon–Fri; '1,3,6-7' → Mon, Wed, Sat, Sun."""
    out: set[int] = set()
    for part in str(value).split(","):
        m = _DAYS.match(part.strip())
        if not m:
            raise CatalogError(f"{where}: '{value}' is not weekdays like 1-5 or 6,7 (1 = Monday)")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if hi < lo:
            raise CatalogError(f"{where}: '{part}' runs backwards")
        out.update(range(lo, hi + 1))
    return frozenset(out)


def parse_hours(spans: Any, where: str) -> tuple[OpeningHours, ...]:
    if not isinstance(spans, list):
        raise CatalogError(f"{where}: hours must be a list of {{days, from, to}}")
    out = []
    for i, span in enumerate(spans):
        w = f"{where}[{i}]"
        if not isinstance(span, dict):
            raise CatalogError(f"{w}: must be an object with days, from, to")
        start, end = _hhmm(span.get("from"), f"{w}.from"), _hhmm(span.get("to"), f"{w}.to")
        if end <= start:
            raise CatalogError(f"{w}: 'to' {end} is not after 'from' {start}")
        out.append(OpeningHours(parse_days(span.get("days", ""), f"{w}.days"), start, end))
    return tuple(out)


def parse_service(raw: Any, where: str) -> Service:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a service must be an object")
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise CatalogError(f"{where}.code: '{code}' is not a service code like SB-001")
    w = f"service {code}"
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        raise CatalogError(f"{w}: name must be 1–40 characters")
    prefix = raw.get("prefix")
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise CatalogError(f"{w}: prefix '{prefix}' must be one capital letter A–Z")
    quota = raw.get("daily_quota", 0)
    if not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= 100000:
        raise CatalogError(f"{w}: daily_quota must be a whole number 0–100000 (0 = no quota)")
    avg = raw.get("avg_minutes", 10)
    if not isinstance(avg, (int, float)) or isinstance(avg, bool) or not 0 < avg <= 480:
        raise CatalogError(f"{w}: avg_minutes must be a number above 0 and at most 480")
    appointable = raw.get("appointable", False)
    if not isinstance(appointable, bool):
        raise CatalogError(f"{w}: appointable must be true or false")
    remote = raw.get("remote", True)
    if not isinstance(remote, bool):
        raise CatalogError(f"{w}: remote must be true or false")
    name_en = raw.get("name_en", "")
    if not isinstance(name_en, str) or len(name_en) > 80:
        raise CatalogError(f"{w}: name_en (the English name) must be text of at most 80 characters")
    return Service(
        code=ServiceCode(code),
        name=name.strip(),
        category=str(raw.get("category") or "其他"),
        prefix=prefix,
        appointable=appointable,
        daily_quota=quota,
        avg_minutes=float(avg),
        hours=parse_hours(raw.get("hours", []), f"{w}.hours"),
        remote=remote,
        name_en=name_en.strip(),
    )


def parse_catalog(raw: Any) -> Catalog:
    if not isinstance(raw, dict):
        raise CatalogError("catalog: must be a JSON object with version and services")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise CatalogError("catalog.version: must be a whole number ≥ 0")
    services = raw.get("services")
    if not isinstance(services, list):
        raise CatalogError("catalog.services: must be a list")
    parsed = tuple(parse_service(s, f"services[{i}]") for i, s in enumerate(services))
    codes = [s.code for s in parsed]
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        raise CatalogError(f"catalog: service code(s) listed twice: {', '.join(sorted(dup))}")
    return Catalog(version=version, services=parsed)


def catalog_to_wire(catalog: Catalog) -> list[dict[str, Any]]:
    """The services back in the contract's shape."""
    out = []
    for s in catalog.services:
        hours = [
            {
                "days": _days_wire(h.days),
                "from": h.start.strftime("%H:%M"),
                "to": h.end.strftime("%H:%M"),
            }
            for h in s.hours
        ]
        entry: dict[str, Any] = {
            "code": s.code,
            "name": s.name,
            "category": s.category,
            "prefix": s.prefix,
            "appointable": s.appointable,
            "daily_quota": s.daily_quota,
            "avg_minutes": s.avg_minutes,
            "hours": hours,
        }
        if not s.remote:
            entry["remote"] = False
        if s.name_en:
            entry["name_en"] = s.name_en
        out.append(entry)
    return out


def _days_wire(days: frozenset[int]) -> str:
    ordered = sorted(days)
    runs: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(runs)


def parse_counter_specs(raw: Any) -> tuple[CounterSpec, ...]:
    if not isinstance(raw, list):
        raise CatalogError("counters: must be a list")
    out: list[CounterSpec] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        if not isinstance(c, dict):
            raise CatalogError(f"counters[{i}]: must be an object with id, name, services")
        cid = str(c.get("id", ""))
        if not re.match(r"^[0-9A-Za-z]{1,8}$", cid):
            raise CatalogError(f"counters[{i}].id: '{cid}' must be 1–8 letters or digits")
        if cid in seen:
            raise CatalogError(f"counters: counter '{cid}' is listed twice")
        seen.add(cid)
        services = c.get("services", [])
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            raise CatalogError(f"counter {cid}: services must be a list of service codes")
        out.append(
            CounterSpec(
                id=CounterId(cid),
                name=str(c.get("name") or ""),
                services=tuple(ServiceCode(s) for s in services),
            )
        )
    return tuple(out)
