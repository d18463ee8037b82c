"""When the hall serves today, from the hub's retained catalog: for the screen's words when
every counter is closed (pure, no Qt).

With every counter closed the screen does not list them all as 未开放: after the day's
last opening hour it says "今日办理已结束"; before the first, or in a break between two
spans (lunch), when service starts again ("13:30 继续办理"); on a day without hours,
"今日不办理业务". Inside the hours, closed counters are listed as usual (staff late, a
counter not staffed today). The hours are the catalog's (`hall.core.catalog`, the rules'
own reading), the union over every service.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from hall.core.catalog import CatalogError, parse_hours
from hall.core.model import OpeningHours

_log = logging.getLogger(__name__)

DAY_OVER = "今日办理已结束"
NO_SERVICE_TODAY = "今日不办理业务"


@dataclass(frozen=True)
class HallHours:
    spans: tuple[OpeningHours, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.spans)

    def closed_text(self, now: datetime) -> str | None:
        """What the screen says when every counter is closed at `now`; None while the
        hall's hours are on (or unknown), when the closed counters are listed instead."""
        if not self.spans:
            return None
        weekday, at = now.isoweekday(), now.time()
        today = sorted((s.start, s.end) for s in self.spans if weekday in s.days)
        if not today:
            return NO_SERVICE_TODAY
        if any(start <= at < end for start, end in today):
            return None
        later = [start for start, _ in today if start > at]
        if not later:
            return DAY_OVER
        when = _hhmm(min(later))
        return f"今日 {when} 开始办理" if at < today[0][0] else f"{when} 继续办理"


def hours_from_catalog(catalog: Mapping[str, Any]) -> HallHours:
    """The union of every service's hours in the hub's catalog state; malformed entries are
    skipped (logged): the screen then lists closed counters as it always did."""
    spans: list[OpeningHours] = []
    services = catalog.get("services")
    for service in services if isinstance(services, Sequence) else ():
        hours = service.get("hours") if isinstance(service, Mapping) else None
        if not isinstance(hours, list):
            continue
        try:
            spans.extend(parse_hours([_days_text(h) for h in hours], "hours"))
        except CatalogError as exc:
            _log.warning("catalog hours not used: %s", exc)
    return HallHours(tuple(dict.fromkeys(spans)))


def _days_text(span: Any) -> Any:
    """The catalog state lists days as numbers ([1, 2, 3]); the parser reads "1,2,3"."""
    if isinstance(span, Mapping) and isinstance(span.get("days"), list):
        return {**span, "days": ",".join(str(d) for d in span["days"])}
    return span


def _hhmm(at: time) -> str:
    return f"{at.hour}:{at.minute:02d}"
