"""Fixtures for the kiosk: a hub (LocalHall, in process) at a fixed time, a simulated
printer, the city's keys, and the kiosk's ticketing over them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance.local import LocalHall
from drivers.printer import Deadlines, Printer, PrinterConfig, SimulatedPrinter, create_printer
from hall.core.timekeeping import FixedClock, at_local
from hall.hubapi.client import HallClient
from kiosk.checkin import Keys
from kiosk.journal import Journal
from kiosk.ticketing import Ticketing, TicketingOptions

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)  # a Friday
HALL_ID = "410411-ZH01"
HALL_NAME = "湛河区政务服务中心"
FAST = Deadlines(connect=0.5, write=0.5, status=0.3)
HASH_KEY = b"city-identity-hash-key-for-tests"


def at(hhmm: str, day: date = DAY) -> float:
    return at_local(day, hhmm, TZ)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at("09:30"))


@pytest.fixture
def city_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def hall(tmp_path: Path, clock: FixedClock, city_key: Ed25519PrivateKey) -> Iterator[LocalHall]:
    with LocalHall(tmp_path / "hub", clock=clock, city=city_key) as h:  # the hub knows it
        h.settle()
        yield h


@pytest.fixture
def keys(city_key: Ed25519PrivateKey) -> Keys:
    return Keys(city_key.public_key(), HASH_KEY)


@pytest.fixture
def sim() -> SimulatedPrinter:
    return SimulatedPrinter()


@pytest.fixture
def printer(sim: SimulatedPrinter) -> Printer:
    return create_printer(PrinterConfig(kind="simulator", deadlines=FAST), simulator=sim)


def options(**over: Any) -> TicketingOptions:
    base: dict[str, Any] = dict(
        kiosk_id="kiosk-1",
        hall_id=HALL_ID,
        hall_name=HALL_NAME,
        ticket_url="https://hall.example.cn/q/{hall_id}/{ticket_id}",
        notice="请留意叫号，过号请咨询工作人员。本票当日有效。",
        tz=TZ,
        confirm_timeout=1.0,
    )
    base.update(over)
    return TicketingOptions(**base)


MakeTicketing = Callable[..., Ticketing]


@pytest.fixture
def make_ticketing(hall: LocalHall, printer: Printer, tmp_path: Path) -> MakeTicketing:
    bus, _ = hall.connect("kiosk-1", "kiosk")

    def make(
        *,
        journal: Path | None = None,
        client_timeout: float = 0.6,
        p: Printer | None = None,
        **over: Any,
    ) -> Ticketing:
        client = HallClient(bus, timeout=client_timeout, attempt_timeout=0.2)
        return Ticketing(
            client,
            p or printer,
            Journal(journal or tmp_path / "kiosk" / "journal.json"),
            options(**over),
        )

    return make


def hash_key_b64() -> str:
    return base64.b64encode(HASH_KEY).decode()


def db_rows(hall: LocalHall, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the hub's database on a connection of our own (the hub's is its thread's),
    its tables brought up to the log first (the hub's tick does it every second)."""
    import sqlite3

    hall.flush_tables()

    conn = sqlite3.connect(f"file:{hall.cfg.database_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def ticket_states(hall: LocalHall) -> dict[str, str]:
    return dict(db_rows(hall, "SELECT number, state FROM tickets ORDER BY issued_seq"))  # type: ignore[arg-type]


def device_states(hall: LocalHall) -> dict[str, tuple[int, str]]:
    return {d: (ok, st) for d, ok, st in db_rows(hall, "SELECT device, ok, state FROM devices")}


def event_types(hall: LocalHall) -> list[str]:
    return [r[0] for r in db_rows(hall, "SELECT type FROM events ORDER BY seq")]


@pytest.fixture
def make_kiosk(
    qtbot: Any, hall: LocalHall, tmp_path: Path, clock: FixedClock
) -> Iterator[Callable[..., Any]]:
    """``make_kiosk(...)``: a kiosk on screen against ``hall``, as a ``Screen_``."""
    from PySide6.QtTest import QTest

    from kiosk.settings import KioskSection
    from kiosk.ui.app import Kiosk, start_kiosk
    from tests.kiosk.onscreen import Screen_

    made: list[Kiosk] = []

    def make(
        *,
        sim: SimulatedPrinter | None = None,
        guide: Any = None,
        kiosk: dict[str, Any] | None = None,
        queue: dict[str, Any] | None = None,
        openers: dict[str, Callable[[], Any]] | None = None,
        keys: Keys | None = None,
        size: tuple[int, int] = (1920, 1080),
    ) -> Any:
        cfg = hall.cfg
        printer = {**cfg.kiosk.printer.model_dump(), "write_s": 1.0, "status_s": 0.3}
        k_over = {"technician_pin": "2468", "printer": printer, **(kiosk or {})}
        cfg = cfg.model_copy(
            update={
                "kiosk": KioskSection.model_validate({**cfg.kiosk.model_dump(), **k_over}),
                "queue": cfg.queue.model_copy(update=queue or {}),
                "bus": cfg.bus.model_copy(update={"request_timeout_s": 1.0}),
            }
        )
        bus = hall.bus(f"kiosk-{len(made) + 1}", "kiosk")
        k = start_kiosk(
            cfg,
            bus,
            clock=clock.wall,
            simulator=sim or SimulatedPrinter(archive=tmp_path / "tickets"),
            keys=keys,
            guide=guide,
            openers=openers,
            state_dir=tmp_path / "kiosk-state",
            tick_ms=100,
        )
        made.append(k)
        k.window.resize(*size)
        k.window.show()
        qtbot.addWidget(k.window)
        screen = Screen_(qtbot, k, tmp_path)
        qtbot.waitUntil(lambda: bool(k.model.hall.entries) and k.model.hall.link_up, timeout=20_000)
        QTest.qWait(50)
        return screen

    yield make
    for k in made:
        k.close()
