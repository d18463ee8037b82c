"""The kiosk's part of `hall demo --headless`: the real kiosk, offscreen, through its flows.

    paths = capture(out, bus_factory, cfg)            # against a running hub

writes ``out/screens/kiosk-*.png`` (the screens a citizen and a technician see) and
``out/tickets/NNN-<number>.png`` with the raw ESC/POS bytes beside each as ``.bin`` (what the
simulated printer printed), and returns their paths. It takes a few seconds (at most ~20).

The hub's clock decides what is open: pass ``clock`` (the hub's ``FixedClock.wall``) so the
kiosk's own opening-hours check agrees with it; without one the kiosk leaves that check to
the hub. The appointment QR code is signed with a key made for this run, which this kiosk
alone trusts. One ticket's print fails on purpose (paper runs out mid-ticket): it is voided
in the hub as in real life.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hall.bus.interface import Bus
from kiosk.settings import KioskConfig

log = logging.getLogger(__name__)

BUDGET_S = 18.0
SAMPLE_NEARBY: dict[str, Any] = {
    "online": True,
    "halls": [
        {
            "hall_id": "410411-XC01",
            "name": "新城街道便民服务中心",
            "address": "新城路 1 号",
            "distance_km": 1.2,
            "services": ["SB-001", "YB-001", "GJJ-001"],
            "load": {"SB-001": {"waiting": 12, "est_wait_min": 40}},
            "load_at": None,
        },
        {
            "hall_id": "410402-ZX01",
            "name": "新华区政务服务中心",
            "address": "建设路 88 号",
            "distance_km": 6.5,
            "services": ["SB-001", "YB-001"],
            "load": {"SB-001": {"waiting": 1, "est_wait_min": 5}},
            "load_at": None,
        },
        {
            "hall_id": "410411-BK01",
            "name": "工商银行湛河支行（政银通办）",
            "address": "中兴路 9 号",
            "distance_km": 3.0,
            "services": ["SB-001"],
            "load": {"SB-001": {"waiting": 3, "est_wait_min": 9}},
            "load_at": None,
        },
    ],
}


class _Driver:
    """Presses buttons of a running kiosk and waits, with the whole run's time budget."""

    def __init__(self, app: Any, kiosk: Any, screens: Path) -> None:
        self.app = app
        self.k = kiosk
        self.screens = screens
        self.started = time.monotonic()
        self.paths: list[Path] = []

    def out_of_time(self) -> bool:
        return time.monotonic() - self.started > BUDGET_S

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while True:
            self.app.processEvents()
            if time.monotonic() >= end:
                return
            time.sleep(0.005)

    def wait(self, cond: Callable[[], bool], timeout: float = 4.0) -> bool:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                log.warning(
                    "demo: kiosk did not reach the expected state (%s)", self.k.model.screen
                )
                return False
            self.pump(0.01)
        self.pump(0.03)
        return True

    def click(self, name: str) -> bool:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QPushButton

        def visible() -> list[Any]:
            for root in (self.k.window.view(), self.k.window):
                found = [b for b in root.findChildren(QPushButton, name) if b.isVisible()]
                if found:
                    return found
            return []

        if not self.wait(lambda: bool(visible()), 2.0):
            return False
        QTest.mouseClick(visible()[0], Qt.MouseButton.LeftButton)
        self.pump(0.02)
        return True

    def screen(self, screen: Any) -> bool:
        return self.wait(lambda: self.k.model.screen is screen)

    def shot(self, name: str) -> None:
        path = self.screens / f"kiosk-{name}.png"
        self.pump(0.02)
        self.k.window.grab().save(str(path))
        self.paths.append(path)


def capture(
    out: Path,
    bus_factory: Callable[[str, str], Bus],
    cfg: KioskConfig,
    *,
    clock: Callable[[], float] | None = None,
) -> list[Path]:
    """Drive the kiosk through its flows offscreen; return the screenshots and tickets."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from PySide6.QtWidgets import QApplication

    from drivers.printer import SimulatedPrinter, get_profile
    from hall import tokens
    from kiosk.checkin import Keys
    from kiosk.model import Screen
    from kiosk.settings import KioskSection
    from kiosk.ui.app import start_kiosk

    screens, tickets = out / "screens", out / "tickets"
    screens.mkdir(parents=True, exist_ok=True)
    tickets.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    kiosk_cfg = KioskSection.model_validate(
        {**cfg.kiosk.model_dump(), "technician_pin": cfg.kiosk.technician_pin or "2468"}
    )
    cfg = cfg.model_copy(update={"kiosk": kiosk_cfg})
    sim = SimulatedPrinter(get_profile(cfg.kiosk.printer.profile), archive=tickets)
    city = Ed25519PrivateKey.generate()
    keys = Keys(city.public_key(), os.urandom(32))
    now = clock or time.time
    bus = bus_factory(cfg.kiosk.id, "kiosk")
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as state:
        kiosk = start_kiosk(
            cfg,
            bus,
            clock=now,
            simulator=sim,
            keys=keys,
            guide=None,
            hours_check=clock is not None,
            state_dir=Path(state),
            tick_ms=200,
        )
        d = _Driver(app, kiosk, screens)
        try:
            kiosk.window.resize(1920, 1080)
            kiosk.window.show()
            d.wait(lambda: kiosk.model.link_up and bool(kiosk.model.entries), 5.0)
            _flows(d, Screen, sim, tokens, city, cfg, now)
        finally:
            kiosk.close()
    return d.paths + sorted(tickets.glob("*.png")) + sorted(tickets.glob("*.bin"))


def _flows(
    d: _Driver,
    Screen: Any,
    sim: Any,
    tokens: Any,
    city: Any,
    cfg: KioskConfig,
    now: Callable[[], float],
) -> None:
    m = d.k.model
    d.shot("home")
    # 取号: service, 绿色通道 question, printing, 请取走您的号票
    if d.click("service-SB-001") and d.screen(Screen.PRIORITY):
        d.shot("priority")
        d.click("priority-normal")
        if d.wait(lambda: m.screen is not Screen.BUSY):
            d.shot("ticket" if m.screen is Screen.TICKET else "refused")
    d.click("home")
    # search by pinyin initials
    if not d.out_of_time() and d.click("open-search"):
        for letter in "GJJ":
            d.click(f"letter-{letter}")
        d.shot("search")
        d.click("back")
    # 长辈模式
    if not d.out_of_time() and d.click("elder"):
        d.shot("home-elder")
        if d.click("service-YB-001") and d.screen(Screen.PRIORITY):
            d.click("priority-elderly")
            d.wait(lambda: m.screen is not Screen.BUSY)
            d.shot("ticket-elder")
        d.click("home")
        d.click("elder")
    # English
    if not d.out_of_time() and d.click("lang"):
        d.shot("home-english")
        d.click("lang")
    # appointment check-in: the keypad, a code nobody booked, then the QR code of a booking
    if not d.out_of_time() and d.click("open-checkin"):
        for digit in "482913":
            d.click(f"code-{digit}")
        d.shot("checkin")
        d.click("code-submit")
        d.wait(lambda: m.screen is not Screen.BUSY)
        d.shot("checkin-refused")
        d.click("home")
    if not d.out_of_time():
        local = datetime.fromtimestamp(now(), cfg.tz)
        slot = local.replace(second=0, microsecond=0)
        claims = {
            "id": f"AP-DEMO-{local:%H%M%S}",
            "hall": cfg.hall.id,
            "service": "SB-002",
            "date": local.date().isoformat(),
            "slot_start": f"{slot:%H:%M}",
            "slot_end": f"{slot + timedelta(minutes=30):%H:%M}",
            "exp": (local + timedelta(hours=12)).isoformat(),
        }
        m.scanned(tokens.sign_token(claims, city))  # as the scanner delivers it
        d.wait(lambda: m.screen is not Screen.BUSY)
        d.shot("checked-in-qr" if m.screen is Screen.TICKET else "checkin-qr-refused")
        d.click("home")
    # the paper runs out in the middle of a ticket
    if not d.out_of_time():
        sim.faults.paper_out_after = len(sim.received) + 300
        if d.click("service-GJJ-001") and d.screen(Screen.PRIORITY):
            d.click("priority-normal")
            d.wait(lambda: m.screen is not Screen.BUSY)
            d.shot("print-failed")
        sim.faults.paper_out = False
        sim.faults.paper_out_after = None
        d.click("home")
    # 智能导航 (the city-sync helper's retained data, or a sample)
    if not d.out_of_time():
        if m.nearby is None:
            at = datetime.fromtimestamp(now(), cfg.tz).isoformat(timespec="seconds")
            m.set_nearby({**SAMPLE_NEARBY, "at": at})
        if d.click("open-nearby"):
            d.shot("nearby")
            d.click("back")
    # the closed screen, the hub out of reach (the model is told, as the bus would tell it)
    if not d.out_of_time():
        evening = datetime.fromtimestamp(now(), cfg.tz).replace(hour=20, minute=0).timestamp()
        options, clock = m.opt, m.clock
        m.opt, m.clock = dataclasses.replace(options, hours_check=True), lambda: evening
        m.tick()
        if d.screen(Screen.CLOSED):
            d.shot("closed")
        m.opt, m.clock = options, clock
        m.tick()
        m.set_link(False)
        d.shot("offline")
        m.set_link(True)
        d.screen(Screen.HOME)
    # the technician: five taps on the hall's name, the PIN, status and a test page
    if not d.out_of_time():
        for _ in range(5):
            d.click("title")
        if d.screen(Screen.PIN):
            for digit in d.k.cfg.kiosk.technician_pin or "":
                d.click(f"pin-{digit}")
            d.click("pin-ok")
            if d.screen(Screen.TECH):
                d.click("tech-test-print")
                d.wait(lambda: bool(m.tech.message))
                d.shot("technician")
            d.click("tech-exit")
