"""The kiosk's part of `hall demo --headless`: the real kiosk, offscreen, through its flows.

    paths = capture(out, bus_factory, cfg)            # against a running hub

writes ``out/screens/kiosk-<screen>.png`` and ``kiosk-<screen>-elder.png``: every screen a
citizen and a technician see (a ticket taken on a phone checked in too: ``arrived-qr``,
``arrival``, ``arrival-not-yours``, ``arrived-typed``: kiosk.demo_arrival), in the standard
and the elder mode (长辈模式), at 1920×1080; and ``out/tickets/NNN-<number>.png`` with the
raw ESC/POS bytes beside each as ``.bin`` (what the simulated printer printed; the
technician's test page is ``NNN-page``), and returns their paths. It takes about half a minute
on an idle box and longer on a busy one: every step waits for what it asked for (up to a
generous bound, kiosk.demo_driver), and one that does not happen raises ``CaptureFailed``, so
a capture that returns has every screen of ``SCREENS``.

The hub's clock decides what is open: pass ``clock`` (the hub's ``FixedClock.wall``) so the
kiosk's own opening-hours check agrees with it; without one the kiosk leaves that check to
the hub. The appointment QR code is signed with a key made for this run, which this kiosk
alone trusts. One ticket's print fails on purpose (paper runs out mid-ticket): it is voided
in the hub as in real life, and the paper runs out while the kiosk is idle (暂停取号 on
the home screen until a new roll is in).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hall import tokens
from hall.bus.interface import Bus
from kiosk.demo_arrival import phone_tickets
from kiosk.demo_driver import CaptureFailed, Driver, HeldPrinter
from kiosk.flow.router import Screen
from kiosk.settings import KioskConfig

PRINT_DEADLINE_S = 2.5  # the stalled printer's write deadline, once its job is taken
SCREENS = (
    "home",
    "priority",
    "ticket",
    "search",
    "home-english",
    "checkin",
    "checkin-refused",
    "checked-in-qr",
    "arrived-qr",
    "arrival",
    "arrival-not-yours",
    "arrived-typed",
    "busy",
    "print-failed",
    "home-paused",
    "nearby-empty",
    "nearby",
    "closed",
    "offline",
    "pin",
    "technician",
)
"""Every screen a capture saves, each also in the elder mode (``<screen>-elder``)."""
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


def capture(
    out: Path,
    bus_factory: Callable[[str, str], Bus],
    cfg: KioskConfig,
    *,
    clock: Callable[[], float] | None = None,
    city: Ed25519PrivateKey | None = None,
) -> list[Path]:
    """Drive the kiosk through its flows offscreen; return the screenshots and tickets.

    `city`: the key the simulated city signs appointment tokens with; the hub must know its
    public half (LocalHall's `city`) to accept the check-in by QR. Raises `CaptureFailed`
    when a step does not happen (within a generous bound), so a returned list always holds
    every screen of `SCREENS`, in both modes (``nearby-empty`` only when the city's nearby
    halls have not come before)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from drivers.printer import get_profile
    from kiosk.checkin import Keys
    from kiosk.settings import KioskSection
    from kiosk.ui.app import start_kiosk

    screens, tickets = out / "screens", out / "tickets"
    screens.mkdir(parents=True, exist_ok=True)
    tickets.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    raw = cfg.kiosk.model_dump()
    raw["technician_pin"] = cfg.kiosk.technician_pin or "2468"
    raw["printer"] = {**raw["printer"], "write_s": PRINT_DEADLINE_S}
    cfg = cfg.model_copy(update={"kiosk": KioskSection.model_validate(raw)})
    sim = HeldPrinter(get_profile(cfg.kiosk.printer.profile), archive=tickets)
    city = city or Ed25519PrivateKey.generate()
    keys = Keys(city.public_key(), os.urandom(32))
    # Without the hub's clock, the kiosk's stands still too: no idle timer sends a screen
    # home before its picture is taken, however slow the box.
    still = time.time()
    now = clock or (lambda: still)
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
        d = Driver(app, kiosk, screens, bus_factory)
        try:
            kiosk.window.resize(1920, 1080)
            kiosk.window.show()
            d.wait(lambda: kiosk.model.hall.link_up and bool(kiosk.model.hall.entries), "hub")
            for flow in FLOWS:
                flow(d, sim, city, cfg, now)
                d.m.home()
        finally:
            sim.hold.set()
            kiosk.close()
    missing = [name for name in SCREENS if name not in d.shots | d.no_occasion]
    if missing:
        raise CaptureFailed(f"kiosk demo: no picture of {', '.join(missing)}")
    return d.paths + sorted(tickets.glob("*.png")) + sorted(tickets.glob("*.bin"))


# --- the flows, in the order a day might see them ------------------------------------------

Flow = Callable[[Driver, Any, Any, KioskConfig, Callable[[], float]], None]


def _take_a_ticket(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """取号: home, the 绿色通道 question, 请取走您的号票."""
    d.both("home")
    d.click("service-SB-001")
    d.screen(Screen.PRIORITY)
    d.both("priority")
    d.click("priority-normal")
    d.outcome(Screen.TICKET)
    d.both("ticket")


def _search(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """Search by the pinyin initials of an everyday word: GJJ (公积金)."""
    d.click("open-search")
    for letter in "GJJ":
        d.click(f"letter-{letter}")
    d.both("search")


def _elder_ticket(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """A ticket taken in elder mode, 70 岁以上老人 (its print is in the tickets folder)."""
    d.click("elder")
    d.click("service-YB-001")
    d.screen(Screen.PRIORITY)
    d.click("priority-elderly")
    d.outcome(Screen.TICKET)
    d.click("elder")


def _english(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    d.click("lang")
    d.both("home-english")
    d.click("lang")


def _check_in(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """预约签到: the keypad and a code nobody booked, then the QR code of a booking."""
    d.click("open-checkin")
    for digit in "482913":
        d.click(f"code-{digit}")
    d.both("checkin")
    d.click("code-submit")
    d.wait(lambda: d.m.screen is not Screen.BUSY, "end of the busy screen")
    d.both("checkin-refused")
    d.click("home")
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
    d.m.scanned(tokens.sign_token(claims, city))  # as the scanner delivers it
    d.outcome(Screen.TICKET)
    d.both("checked-in-qr")


def _printer_stalls(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """The printer hangs mid-ticket: 正在出票 while the write deadline runs, then 此号已作废
    (voided in the hub, the printer's fault reported), and 暂停取号 at home until the
    printer answers again. The job waits for the busy screen's pictures (``HeldPrinter``)."""
    sim.faults.stall_after = len(sim.received) + 300
    d.click("service-GJJ-001")
    d.screen(Screen.PRIORITY)
    sim.hold.clear()
    try:
        d.click("priority-normal")
        d.screen(Screen.BUSY)
        d.both("busy")
    finally:
        sim.hold.set()
    d.wait(lambda: d.m.screen is not Screen.BUSY, "end of the busy screen")
    d.both("print-failed")
    sim.faults.stall_after = None


def _paper_out_while_idle(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """The paper runs out while nobody is at the kiosk: the idle status check (every
    kiosk.printer.poll_seconds) finds it, home says 暂停取号 before anyone taps."""
    sim.faults.paper_out = True
    d.m.home()
    d.m.printer.poll()  # as the timer does after poll_seconds
    d.wait(lambda: d.m.printer.paused == "paper_out", "paper-out pause")
    d.both("home-paused")
    sim.faults.paper_out = False
    d.m.printer.poll()
    d.wait(lambda: d.m.printer.paused is None, "end of the paper-out pause")


def _nearby(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """智能导航, without the city's data and with it (the city-sync role's, or a sample)."""
    if d.m.hall.nearby is not None:  # the city's data came first: no empty screen to show
        d.no_occasion.add("nearby-empty")
    else:
        d.click("open-nearby")
        d.both("nearby-empty")
        d.click("back")
        at = datetime.fromtimestamp(now(), cfg.tz).isoformat(timespec="seconds")
        d.m.hall.set_nearby({**SAMPLE_NEARBY, "at": at})
    d.click("open-nearby")
    d.both("nearby")


def _closed_and_offline(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """The closed screen in the evening, the hub out of reach (told as the bus would)."""
    r = d.m.router
    evening = datetime.fromtimestamp(now(), cfg.tz).replace(hour=20, minute=0).timestamp()
    options, clock = r.opt, r.clock
    r.opt, r.clock = dataclasses.replace(options, hours_check=True), lambda: evening
    d.m.tick()
    d.screen(Screen.CLOSED)
    d.both("closed")
    r.opt, r.clock = options, clock
    d.m.tick()
    d.m.hall.set_link(False)
    d.screen(Screen.OFFLINE)
    d.both("offline")
    d.m.hall.set_link(True)
    d.screen(Screen.HOME)


def _technician(d: Driver, sim: Any, city: Any, cfg: KioskConfig, now: Any) -> None:
    """Five taps on the hall's name, the PIN, status, the voided number, a test page."""
    for _ in range(5):
        d.click("title")
    d.screen(Screen.PIN)
    for digit in "13":
        d.click(f"pin-{digit}")
    d.both("pin")
    d.click("pin-clear")
    for digit in cfg.kiosk.technician_pin or "":
        d.click(f"pin-{digit}")
    d.click("pin-ok")
    d.screen(Screen.TECH)
    d.click("tech-test-print")
    d.wait(lambda: bool(d.m.tech.message), "test page's result")
    d.both("technician")
    d.click("tech-exit")


FLOWS: tuple[Flow, ...] = (
    _take_a_ticket,
    _search,
    _elder_ticket,
    _english,
    _check_in,
    phone_tickets,
    _printer_stalls,
    _paper_out_while_idle,
    _nearby,
    _closed_and_offline,
    _technician,
)
