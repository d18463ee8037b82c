"""智能导航: other halls that offer a service, nearest, fastest or best, from the city's data."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk import navigation
from kiosk.flow.hall import HallState
from kiosk.flow.router import Router, Screen

log = logging.getLogger(__name__)


class Nearby:
    def __init__(self, router: Router, hall: HallState, chosen: Callable[[], str | None]) -> None:
        """``chosen``: the service the citizen picked last, if any (shown first)."""
        self.r = router
        self.hall = hall
        self._chosen = chosen
        self.mode = "best"
        self.service: str | None = None
        router.on_reset(self.clear, pristine=lambda: self.mode == "best")

    def clear(self) -> None:
        self.mode = "best"
        self.service = None

    def open(self, code: str | None = None) -> None:
        if self.r.busy:
            return
        self.r.touch()
        pick = code or self._chosen()
        if pick is None and self.hall.entries:
            pick = self.hall.entries[0].code
        self.service = pick
        self.r.go(Screen.NEARBY)

    def set_mode(self, mode: str) -> None:
        if mode not in navigation.MODES:
            raise ValueError(mode)
        self.r.touch()
        self.mode = mode
        self.r.notify("nearby")

    def set_service(self, code: str) -> None:
        self.r.touch()
        self.service = code
        self.r.notify("nearby")

    def has_data(self) -> bool:
        return bool(self.hall.nearby and navigation.services_offered(self.hall.nearby))

    def service_codes(self, most: int = 8) -> list[str]:
        """The services other halls offer (this hall's catalog order), the chosen first."""
        offered = navigation.services_offered(self.hall.nearby or {})
        codes = [e.code for e in self.hall.entries if e.code in offered]
        if self.service and self.service not in codes:
            codes.insert(0, self.service)
        return codes[:most]

    def rows(self) -> list[navigation.NearbyRow]:
        if not self.hall.nearby or not self.service:
            return []
        try:
            ranked = navigation.rank(
                self.hall.nearby, self.service, self.mode, now=self.r.local_now()
            )
        except Exception:  # another helper's ranking must not take the kiosk down
            log.exception("ranking the nearby halls failed")
            return []
        return navigation.rows(ranked, self.service)
