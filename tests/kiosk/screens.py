"""Every kiosk screen, reached on a model with stand-in operations (no hub, no printer), for
the geometry test: the longest texts each screen can show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.printer import PrinterState, PrinterStatus, PrintResult
from hall.core.timekeeping import FixedClock
from kiosk.checkin import Keys
from kiosk.flow.router import ModelOptions, Screen
from kiosk.model import KioskModel
from kiosk.outcomes import Arrived, Issued, PrinterDown, PrintFailed, Refusal, TicketInfo, Void
from tests.kiosk.conftest import TZ, at

ROOT = Path(__file__).resolve().parents[2]
LONG_HALL = "平顶山市湛河区政务服务中心"  # 13 characters
VERSIONS = (("hall", "0.9.0"), ("Python", "3.11.7"), ("Qt", "6.8.0"), ("printer", "simulator"))


def sample_catalog() -> dict[str, Any]:
    raw = json.loads((ROOT / "appliance/sim/data/catalog.json").read_text(encoding="utf-8"))
    return {"hall_id": "410411-ZH01", "hall_name": LONG_HALL, "version": 1, **raw}


BOARD = {
    "services": [
        {"code": "SB-001", "waiting": 12, "est_wait_min": 40, "open_counters": 2},
        {"code": "SB-002", "waiting": 0, "est_wait_min": 0, "open_counters": 1},
        {"code": "BDC-001", "waiting": 3, "est_wait_min": None},
    ]
}
NEARBY = {
    "at": "2026-11-27T09:25:00+08:00",
    "online": False,
    "halls": [
        {
            "hall_id": f"H{i}",
            "name": name,
            "address": address,
            "distance_km": km,
            "services": ["SB-001", "SB-002", "YB-001", "BDC-001", "GJJ-001", "HJ-001"],
            "load": {"SB-001": {"waiting": 12, "est_wait_min": 40}},
            "load_at": None,
        }
        for i, (name, address, km) in enumerate(
            [
                ("新城街道便民服务中心", "新城路 1 号", 1.2),
                ("新华区政务服务中心", "建设路 88 号", 6.5),
                ("工商银行湛河支行（政银通办）", "中兴路 9 号", 3.0),
                ("曹镇乡便民服务中心", "曹镇乡政府院内", 14.8),
                ("北渡街道党群服务中心", "北渡街 12 号", 8.1),
                ("河滨街道便民服务站", "河滨路 30 号", 4.4),
            ]
        )
    ],
}


def info(**over: Any) -> TicketInfo:
    base: dict[str, Any] = dict(
        ticket_id="t1",
        number="D012",
        service="BDC-001",
        service_name="不动产登记（二手房转移）",
        waiting_ahead=12,
        est_wait_min=40,
        priority="normal",
        issued_at=at("09:30"),
        qr_url="",
    )
    base.update(over)
    return TicketInfo(**base)


class StandIn:
    """The operations as the flows see them; ``hold`` keeps work pending (busy screen)."""

    def __init__(self) -> None:
        self.outcome: Any = Issued(info())
        self.arrived: Any = ARRIVED
        self.hold = False
        self.pending: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if self.hold:
            self.pending.append((fn, done))
        else:
            done(fn())

    def release(self) -> None:
        self.hold = False
        while self.pending:
            fn, done = self.pending.pop(0)
            done(fn())

    def issue(self, service: str, priority: str = "normal") -> Any:
        return self.outcome

    def check_in(self, args: dict[str, Any]) -> Any:
        return self.outcome

    def mark_arrived(self, args: dict[str, Any]) -> Any:
        return self.arrived

    def recover(self) -> bool:
        return True

    def report(self, *args: Any) -> None:
        return None

    def printer_status(self) -> PrinterStatus:
        return PrinterStatus(PrinterState.OK)

    def test_print(self, lines: list[str]) -> PrintResult:
        raise NotImplementedError

    def reprints(self) -> list[dict[str, Any]]:
        return [{"ticket_id": "t7", "number": "A017"}, {"ticket_id": "t9", "number": "D009"}]

    def reprint(self, ticket_id: str) -> Any:
        return self.outcome

    def voids(self) -> list[Void]:
        return [Void("D002", "paper_out", at("09:12")), Void("A031", "timeout", at("09:20"))]


def make_model(clock: FixedClock, ops: StandIn) -> KioskModel:
    options = ModelOptions(
        hall_name=LONG_HALL, tz=TZ, technician_pin="2468", versions=VERSIONS, printer_poll_s=3600
    )
    m = KioskModel(options, ops, ops.run, clock.wall, Keys(None, None))  # type: ignore[arg-type]
    m.hall.set_catalog(sample_catalog())
    m.hall.set_board(BOARD)
    m.hall.set_link(True)
    m.printer.learn(Issued(info()))  # the printer is known well: no status poll
    return m


def reset(m: KioskModel, ops: StandIn, clock: FixedClock) -> None:
    ops.release()
    ops.outcome = Issued(info())
    ops.arrived = ARRIVED
    clock.t = at("09:30")
    m.printer.learn(Issued(info()))
    m.hall.set_link(True)
    m.hall.set_nearby({})
    m.home()


def _priority(m: KioskModel) -> None:
    m.tickets.pick_service("BDC-001")


def _issue(m: KioskModel, ops: StandIn, outcome: Any) -> None:
    ops.outcome = outcome
    _priority(m)
    m.tickets.pick_priority("normal")


def _pin(m: KioskModel, pin: str) -> None:
    for _ in range(5):
        m.tech.title_tap()
    for k in pin:
        m.tech.pin_key(k)
    m.tech.pin_key("enter")


def _tech(m: KioskModel) -> None:
    _pin(m, "2468")
    m.tech.printer = "缺纸"
    m.tech.message, m.tech.message_ok = "测试样张打印失败：缺纸", False
    m.tech.scanned("110105194912310021")
    m.tech.set_input_state("scanner-1", "scanner", "ready", "Netum 2D Scanner")
    m.tech.set_input_state("keypad-1", "keypad", "unplugged", "/dev/input/by-id/usb-keypad")


def _checkin(m: KioskModel) -> None:
    m.checkin.open()
    for k in "482":
        m.checkin.key(k)
    m.checkin.submit()


def _closed(m: KioskModel, clock: FixedClock) -> None:
    clock.t = at("20:00")
    m.tick()


ARRIVED = Arrived("r1", "A045")  # no place in the reply: the board's words for the letter A
ALREADY = Arrived("r1", "A045", already=True, service="SB-001", waiting_ahead=11, est_wait_min=37)
NO_SHOW = Refusal("no_show", "A045 号已过到场时间，已取消", "请重新取号")
NOT_YOURS = Refusal("not_yours", "号码与手机尾号不符", "请核对号码和手机号后四位，或到服务台咨询")


def _arrival(m: KioskModel, keys: str) -> None:
    m.arrival.open()
    for k in keys:
        m.arrival.key(k)


def _arrived(m: KioskModel, ops: StandIn, outcome: Any) -> None:
    ops.arrived = outcome
    _arrival(m, "A45")
    m.arrival.submit()  # 下一步
    for k in "5678":
        m.arrival.key(k)
    m.arrival.submit()  # 确认签到


QUOTA = Refusal(
    "quota_reached",
    "今日「门诊慢特病待遇认定」号已取完（限 150 个）",
    "请明天再来，或通过预约渠道预约",
)
CHECKED_IN = Issued(info(timing="early", slot="10:30-11:00", waiting_ahead=0, est_wait_min=0))
Setup = Callable[[KioskModel, StandIn, FixedClock], None]
SCREENS: dict[str, tuple[Screen, Setup]] = {
    "home": (Screen.HOME, lambda m, o, c: None),
    "home-paused": (Screen.HOME, lambda m, o, c: m.printer.learn(PrinterDown("paper_out"))),
    "search": (Screen.SEARCH, lambda m, o, c: [m.tickets.open_search(), m.tickets.search_key("S")]),
    "priority": (Screen.PRIORITY, lambda m, o, c: _priority(m)),
    "busy": (Screen.BUSY, lambda m, o, c: [setattr(o, "hold", True), _issue(m, o, o.outcome)]),
    "ticket": (Screen.TICKET, lambda m, o, c: _issue(m, o, Issued(info()))),
    "checked-in": (Screen.TICKET, lambda m, o, c: [m.checkin.open(), _issue_checkin(m, o)]),
    "print-failed": (
        Screen.FAILED,
        lambda m, o, c: _issue(m, o, PrintFailed(info(), "paper_out", voided=True)),
    ),
    "print-failed-reprint": (
        Screen.FAILED,
        lambda m, o, c: _issue(m, o, PrintFailed(info(), "paper_out", voided=False)),
    ),
    "refused": (Screen.REFUSED, lambda m, o, c: _issue(m, o, QUOTA)),
    "checkin": (Screen.CHECKIN, lambda m, o, c: _checkin(m)),
    # a phone ticket: the tail half typed, and a problem with it; then its outcomes
    "arrival": (Screen.ARRIVAL, lambda m, o, c: [_arrival(m, "A45"), _arrival_tail(m, "56")]),
    "arrived": (Screen.ARRIVED, lambda m, o, c: _arrived(m, o, ARRIVED)),
    "arrived-already": (Screen.ARRIVED, lambda m, o, c: _arrived(m, o, ALREADY)),
    "arrival-no-show": (Screen.REFUSED, lambda m, o, c: _arrived(m, o, NO_SHOW)),
    "arrival-not-yours": (Screen.REFUSED, lambda m, o, c: _arrived(m, o, NOT_YOURS)),
    "closed": (Screen.CLOSED, lambda m, o, c: _closed(m, c)),
    "offline": (Screen.OFFLINE, lambda m, o, c: m.hall.set_link(False)),
    "pin": (Screen.PIN, lambda m, o, c: _pin(m, "1111")),
    "technician": (Screen.TECH, lambda m, o, c: _tech(m)),
    "nearby": (Screen.NEARBY, lambda m, o, c: [m.hall.set_nearby(NEARBY), m.nearby.open()]),
    "nearby-empty": (Screen.NEARBY, lambda m, o, c: m.nearby.open()),
}


def _arrival_tail(m: KioskModel, digits: str) -> None:
    m.arrival.submit()  # 下一步
    for k in digits:
        m.arrival.key(k)
    m.arrival.submit()  # too short: 请输入取号手机号的后四位


def _issue_checkin(m: KioskModel, ops: StandIn) -> None:
    ops.outcome = CHECKED_IN
    for k in "482913":
        m.checkin.key(k)
    m.checkin.submit()
