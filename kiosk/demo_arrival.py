"""The kiosk demo's 云叫号 flow (kiosk.demo): numbers taken on phones, checked in at the
kiosk by the QR code on the phone and by the number and the phone's last four digits."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from hall import tokens
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable
from kiosk.demo_driver import CaptureFailed, Driver
from kiosk.flow.router import Screen
from kiosk.settings import KioskConfig

log = logging.getLogger(__name__)


def phone_tickets(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """Two numbers taken on phones before leaving home (asked for here as the hall's sync
    hands the city's ticket-requests to the hub). One citizen scans the QR code on the
    phone: 签到成功. The other types the number and the phone's last four digits, mistypes
    the digits first (号码与手机尾号不符, 重新输入), then gets them right.
    ``d`` is the demo's driver (kiosk.demo_driver.Driver)."""
    local = datetime.fromtimestamp(now(), cfg.tz)
    sync = HallClient(d.bus_factory("sync-demo-city", "sync"))
    try:
        scanned, typed = (
            sync.execute(
                "issue_remote",
                {
                    "request_id": f"RT-DEMO-{local:%H%M%S}-{i}",
                    "service": "SB-001",
                    "phone_tail": tail,
                },
            )
            for i, tail in ((1, "5678"), (2, "0042"))
        )
    except (CommandRefused, HubUnreachable) as exc:
        raise CaptureFailed(f"kiosk demo: no phone tickets ({exc})") from exc
    claims = {
        "kind": "ticket",
        "ticket_id": scanned["ticket_id"],
        "hall": cfg.hall.id,
        "date": local.date().isoformat(),
        "exp": (local + timedelta(hours=2)).isoformat(),
    }
    d.m.scanned(tokens.sign_token(claims, city))  # the phone's QR code at the scanner
    d.outcome(Screen.ARRIVED)
    d.both("arrived-qr")
    d.m.home()
    d.click("open-checkin")
    d.click("open-arrival")
    d.screen(Screen.ARRIVAL)
    for key in [*typed["number"], "submit", *"0024"]:
        d.click("arrival-submit" if key == "submit" else f"arrival-{key}")
    d.both("arrival")
    d.click("arrival-submit")
    d.wait(lambda: d.m.screen is not Screen.BUSY, "end of the busy screen")
    d.both("arrival-not-yours")
    d.click("arrival-retry")
    d.click("arrival-tail")
    for key in ("clear", *"0042"):
        d.click(f"arrival-{key}")
    d.click("arrival-submit")
    d.outcome(Screen.ARRIVED)
    d.both("arrived-typed")
