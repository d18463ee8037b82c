"""The kiosk's flows on the model alone: no Qt, a fake ticketing, an injected clock."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from drivers.printer import PrinterState, PrinterStatus
from hall.core.timekeeping import FixedClock
from kiosk.checkin import Keys
from kiosk.model import KioskModel, ModelOptions, Screen
from kiosk.outcomes import Issued, PrinterDown, Refusal, TicketInfo, Unreachable
from tests.kiosk.conftest import TZ, at
from tests.kiosk.test_kiosk_pure import BOARD, CATALOG

INFO = TicketInfo(
    "t1", "A007", "SB-001", "社会保障卡申领", 3, 9, "normal", at("09:30"), "https://q/t1"
)


class FakeOps:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.outcome: Any = Issued(INFO)
        self.printer_state = PrinterState.OK

    def issue(self, service: str, priority: str = "normal") -> Any:
        self.calls.append(("issue", (service, priority)))
        return self.outcome

    def check_in(self, args: dict[str, Any]) -> Any:
        self.calls.append(("check_in", args))
        return self.outcome

    def recover(self) -> bool:
        self.calls.append(("recover", None))
        return True

    def report(self, *args: Any) -> None:
        self.calls.append(("report", args))

    def printer_status(self) -> PrinterStatus:
        self.calls.append(("printer_status", None))
        return PrinterStatus(self.printer_state)

    def reprints(self) -> list[dict[str, Any]]:
        return []

    def voids(self) -> list[Any]:
        return []


class Deferred:
    """A runner that holds the work until the test lets it finish."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.pending.append((fn, done))

    def finish_all(self) -> None:
        while self.pending:
            fn, done = self.pending.pop(0)
            done(fn())


def make(clock: FixedClock, run: Any = None, **opts: Any) -> tuple[KioskModel, FakeOps]:
    ops = FakeOps()
    runner = run or (lambda fn, done: done(fn()))
    options = ModelOptions(hall_name="大厅", tz=TZ, technician_pin="2468", **opts)
    model = KioskModel(options, ops, runner, clock.wall, Keys(None, None))  # type: ignore[arg-type]
    model.hall.set_catalog(CATALOG)
    model.hall.set_board(BOARD)
    model.hall.set_link(True)
    return model, ops


def test_the_model_imports_no_qt() -> None:
    code = (
        "import sys, kiosk.model, kiosk.ticketing, kiosk.services, kiosk.navigation, "
        "kiosk.search, kiosk.present, "
        "kiosk.journal, hall.tokens, kiosk.checkin, kiosk.guide, kiosk.runtime; "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_search_keeps_pypinyin_out_of_the_kiosk_process() -> None:
    code = (
        "import sys; from kiosk import search, services; "
        "from tests.kiosk.test_kiosk_pure import CATALOG, BOARD; "
        "e = services.build_entries(CATALOG, BOARD); "
        "assert [x.code for x in search.search(e, 'sbk')] == ['SB-001']; "
        "assert 'pypinyin' not in sys.modules, 'pypinyin loaded in the kiosk'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_take_a_ticket(clock: FixedClock) -> None:
    run = Deferred()
    m, ops = make(clock, run)
    assert m.screen is Screen.HOME and m.hall.hall_name == "湛河区政务服务中心"
    m.tickets.pick_service("SB-001")
    assert m.screen is Screen.PRIORITY
    m.tickets.pick_priority("pregnancy")
    assert m.screen is Screen.BUSY and m.router.busy
    m.tickets.pick_priority("normal")  # a second tap while busy does nothing
    m.home()
    m.scanned("482913")
    assert m.screen is Screen.BUSY
    run.finish_all()
    assert m.screen is Screen.TICKET and m.results.outcome == Issued(INFO)
    assert [c for c in ops.calls if c[0] != "recover"] == [("issue", ("SB-001", "pregnancy"))]
    m.home()
    m.tickets.pick_service("SB-001")
    with pytest.raises(ValueError):
        m.tickets.pick_priority("vip")


def test_no_priority_question_when_configured(clock: FixedClock) -> None:
    m, ops = make(clock, green_services=frozenset({"YB-001"}))
    m.tickets.pick_service("SB-001")
    assert m.screen is Screen.TICKET and ("issue", ("SB-001", "normal")) in ops.calls


@pytest.mark.parametrize(
    ("outcome", "title", "message"),
    [
        (Refusal("quota_reached", "今日号已取完", "请明天再来"), "暂时无法取号", "今日号已取完"),
        (PrinterDown("cover_open"), "暂时无法取号", "打印机暂停服务（纸仓盖未关），请联系工作人员"),
        (
            Unreachable(),
            "系统暂时无法连接",
            "这次没有出号。请稍后再试，或咨询工作人员。",
        ),
    ],
)
def test_outcomes_become_notices(clock: FixedClock, outcome: Any, title: str, message: str) -> None:
    m, ops = make(clock)
    ops.outcome = outcome
    m.tickets.pick_service("SB-001")
    m.tickets.pick_priority("normal")
    assert m.screen is Screen.REFUSED
    assert m.results.notice is not None and (m.results.notice.title, m.results.notice.message) == (
        title,
        message,
    )


def test_hours_link_and_idle(clock: FixedClock) -> None:
    m, _ = make(clock, idle_s=30, countdown_s=10)
    clock.t = at("12:05")
    m.tick()
    assert m.screen is Screen.CLOSED
    clock.t = at("13:30")
    m.tick()
    assert m.screen is Screen.HOME
    m.hall.set_link(False)
    assert m.screen is Screen.OFFLINE
    m.hall.set_link(True)
    assert m.screen is Screen.HOME
    m.access.toggle_language()
    m.access.toggle_elder()
    m.checkin.open()
    clock.advance(25)
    m.tick()
    assert m.router.countdown is None  # elder mode: no countdown
    clock.advance(200)
    m.tick()
    assert (m.screen, m.router.elder, m.router.lang) == (Screen.HOME, False, "zh")
    m.checkin.open()
    clock.advance(22)
    m.tick()
    assert m.router.countdown == 8


def test_closed_service_refused_locally(clock: FixedClock) -> None:
    m, ops = make(clock)
    m.tickets.pick_service("HY-001")  # Saturdays only
    assert m.screen is Screen.REFUSED and not [c for c in ops.calls if c[0] == "issue"]
    assert m.results.notice is not None and m.results.notice.message.startswith("不在办理时间内")


def test_keys_codes_and_scans(clock: FixedClock) -> None:
    m, ops = make(clock)
    m.keypad("4")
    assert m.screen is Screen.CHECKIN and m.checkin.code == "4"
    for k in "8291377":
        m.keypad(k)
    assert m.checkin.code == "482913"
    m.keypad("backspace")
    m.keypad("enter")
    assert m.checkin.error == "请输入完整的 6 位预约码"
    m.keypad("3")
    m.keypad("enter")
    assert ("check_in", {"code": "482913"}) in ops.calls
    m.home()
    m.scanned("CQ1.abc.def")
    assert m.screen is Screen.REFUSED
    assert (
        m.results.notice is not None
        and m.results.notice.message == "本机暂不支持扫码签到，请输入预约码，或输入号码和手机尾号"
    )


def test_technician_pin(clock: FixedClock) -> None:
    m, _ = make(clock)
    for _ in range(5):
        m.tech.title_tap()
    assert m.screen is Screen.PIN
    for k in "1234":
        m.tech.pin_key(k)
    m.tech.pin_key("enter")
    assert m.tech.pin_message == "密码错误" and m.screen is Screen.PIN
    m.home()
    m.tech.title_tap()
    assert m.screen is Screen.HOME


def test_a_failing_operation_never_leaves_the_screen_busy(clock: FixedClock) -> None:
    run = Deferred()
    m, _ = make(clock, run)
    m.tickets.pick_service("SB-001")
    m.tickets.pick_priority("normal")
    assert m.router.busy
    m.op_failed(RuntimeError("bug"))
    assert not m.router.busy and m.screen is Screen.REFUSED


def _polls(ops: FakeOps) -> int:
    return sum(1 for c in ops.calls if c[0] == "printer_status")


def test_the_printer_is_watched_only_while_idle(clock: FixedClock) -> None:
    m, ops = make(clock, printer_poll_s=30)
    m.tick()
    assert _polls(ops) == 1 and m.printer.paused is None
    m.tick()
    clock.advance(29)
    m.tick()
    assert _polls(ops) == 1  # not before poll_seconds
    m.tickets.pick_service("SB-001")  # a citizen at the kiosk: no status queries
    clock.advance(20)
    m.tick()
    assert _polls(ops) == 1 and m.screen is Screen.PRIORITY
    m.home()
    ops.printer_state = PrinterState.PAPER_OUT
    m.tick()
    assert _polls(ops) == 2 and m.printer.paused == "paper_out"
    m.tickets.pick_service("SB-001")  # 暂停取号: refused at once, no question, no ticket
    assert m.screen is Screen.REFUSED and not [c for c in ops.calls if c[0] == "issue"]
    notice = m.results.notice
    assert notice is not None and notice.message == "打印机暂停服务（缺纸），请联系工作人员"
    m.home()
    ops.printer_state = PrinterState.OK
    clock.advance(5)  # paused: asked again within seconds
    m.tick()
    assert _polls(ops) == 3 and m.printer.paused is None


def test_issuing_teaches_the_watch(clock: FixedClock) -> None:
    m, ops = make(clock, printer_poll_s=3600)
    ops.outcome = PrinterDown("cover_open")
    m.tickets.pick_service("SB-001")
    m.tickets.pick_priority("normal")
    assert m.printer.paused == "cover_open"
    m.home()
    m.checkin.open()
    for k in "482913":
        m.checkin.key(k)
    m.checkin.submit()  # check-in prints too: refused while the printer is down
    assert m.screen is Screen.REFUSED and ("check_in", {"code": "482913"}) not in ops.calls


def test_english_screens_say_which_names_stay_chinese(clock: FixedClock) -> None:
    """A catalog without English names for some services (the city's has none): the English
    screen says so, the Chinese one says nothing."""
    from kiosk import present

    m, _ = make(clock)
    entries = m.hall.entries
    named = [dataclasses.replace(e, name_en=e.name_en or "x") for e in entries]
    partly = [dataclasses.replace(entries[0], name_en=""), *named[1:]]
    m.router.lang = "en"
    assert present.names_note(m.router, named) == ""
    assert present.names_note(m.router, partly).startswith("Some service names are shown in")
    m.router.lang = "zh"
    assert present.names_note(m.router, partly) == ""


def test_the_screens_words(clock: FixedClock) -> None:
    from kiosk import present
    from kiosk.outcomes import PrintFailed

    m, _ = make(clock)
    first = present.ticket(m.router, dataclasses.replace(INFO, waiting_ahead=0, est_wait_min=0))
    assert (first.ahead, first.wait) == ("前面没有人等候", "")
    shown = present.ticket(m.router, INFO)
    assert (shown.ahead, shown.wait) == ("前面还有 3 人等候", "预计等待约 9 分钟")
    soon = present.ticket(m.router, dataclasses.replace(INFO, waiting_ahead=1, est_wait_min=0))
    assert (soon.ahead, soon.wait) == ("前面还有 1 人等候", "预计等待约 1 分钟")  # never 约 0
    entry = dataclasses.replace(m.hall.entries[0], waiting=1, est_wait_min=0)
    assert present.tile_detail(m.router, m.hall, entry) == "等候 1 人 · 约 1 分钟"
    m.router.opt = dataclasses.replace(m.router.opt, versions=(("hall", "0.1.0"), ("Qt", "6.9")))
    assert present.versions_line(m.router) == "版本信息：hall 0.1.0；Qt 6.9"
    void = present.failed(m.router, PrintFailed(INFO, "paper_out", voided=True))
    assert (void.title, void.number) == ("此号已作废", "作废号码：A007（不会叫到）")
    kept = present.failed(m.router, PrintFailed(INFO, "paper_out", voided=False))
    assert (kept.title, kept.number) == ("号票没有打印好", "A007")
    assert present.nearby_status(m.router, m.hall, False) == "暂无其他网点的信息"


def test_next_citizen_forgets_every_flow(clock: FixedClock) -> None:
    m, _ = make(clock, idle_s=30)
    m.tickets.pick_category("社会保障")
    m.nearby.open("SB-001")
    m.nearby.set_mode("fastest")
    clock.advance(31)
    m.tick()
    assert (m.screen, m.tickets.category, m.nearby.mode) == (Screen.HOME, None, "best")
