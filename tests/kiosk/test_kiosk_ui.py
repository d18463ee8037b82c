"""The kiosk on screen (Qt offscreen), driven by touches and clicks against a real hub.

Each test saves screenshots under its tmp dir and checks what the screen shows.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton

from appliance.local import LocalHall
from drivers.input.simulator import SimulatedDevice, typed
from drivers.printer import SimulatedPrinter
from drivers.printer.decode import QrCode, texts
from drivers.speech import NullPlayer, make_engine
from hall import tokens
from hall.core.timekeeping import FixedClock
from kiosk.checkin import Keys
from kiosk.guide import Guide
from kiosk.model import Screen
from tests.kiosk.conftest import (
    DAY,
    HASH_KEY,
    at,
    db_rows,
    device_states,
    event_types,
    ticket_states,
)
from tests.kiosk.onscreen import Screen_

pytestmark = pytest.mark.timeout(90)
VALID_ID = "11010519491231002X"


@pytest.fixture
def keys(city_key: Any) -> Keys:
    return Keys(city_key.public_key(), HASH_KEY)


def test_take_a_ticket_by_touch(
    make_kiosk: Callable[..., Screen_], hall: LocalHall, tmp_path: Path
) -> None:
    _, other = hall.connect("kiosk-9", "kiosk")
    other.execute("issue", {"service": "SB-001"})
    sim = SimulatedPrinter(archive=tmp_path / "tickets")
    s = make_kiosk(sim=sim)
    s.qtbot.waitUntil(lambda: "等候 1 人" in s.find("service-SB-001").text())
    assert s.k.window.title.text() == "湛河区政务服务中心"
    assert "约 3 分钟" in s.find("service-SB-001").text()
    assert "无需等候" in s.find("service-YB-001").text()
    s.shot("kiosk-home")
    s.touch("service-SB-001")
    s.wait_for(Screen.PRIORITY)
    assert "是否需要绿色通道？" in s.labels() and "社会保障卡申领" in s.labels()
    s.shot("kiosk-priority")
    s.touch("priority-normal")
    s.wait_for(Screen.TICKET)
    shown = s.labels()
    assert "请取走您的号票" in shown and "A002" in shown
    assert "前面还有 1 人等候" in shown and "预计等待约 3 分钟" in shown
    s.shot("kiosk-ticket")
    assert ticket_states(hall) == {"A001": "waiting", "A002": "waiting"}
    (printed,) = sim.tickets()
    lines = texts(printed)
    assert "A002" in lines and "前面还有 1 人等候" in lines and "社会保障卡申领" in lines
    assert [p.name for p in sim.archived] == ["001-A002.png"]
    assert (tmp_path / "tickets" / "001-A002.bin").stat().st_size > 100
    s.click("home")
    s.wait_for(Screen.HOME)


def test_green_channel_and_double_taps_issue_one_ticket(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    s = make_kiosk()
    s.click("service-YB-001")
    s.wait_for(Screen.PRIORITY)
    button = s.find("priority-elderly")
    for _ in range(3):
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    s.wait_for(Screen.TICKET)
    QTest.qWait(200)
    assert ticket_states(hall) == {"B001": "waiting"}
    (printed,) = s.k.simulator.tickets()  # type: ignore[union-attr]
    assert "【老年人优先】" in texts(printed)


def test_gui_thread_keeps_running_while_the_printer_stalls(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    sim = SimulatedPrinter()
    s = make_kiosk(sim=sim)
    sim.faults.stall_after = 300
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    s.click("service-SB-001")
    s.click("priority-normal")
    assert s.m.screen is Screen.BUSY and "正在出票，请稍候…" in s.labels()
    started = time.monotonic()
    s.wait_for(Screen.FAILED)
    took = time.monotonic() - started
    timer.stop()
    during = [t for t in ticks if started <= t <= started + took]
    assert took >= 0.8  # the write deadline (1 s) ran out on the worker …
    assert len(during) >= took / 0.02 * 0.4  # … while the GUI thread kept ticking
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert max(gaps) < 0.5
    shown = s.labels()
    assert shown[0] == "此号已作废"  # 作废 first and largest; the number only as cancelled
    assert "作废号码：A001（不会叫到）" in shown and "A001" not in shown
    assert any("请到服务台" in t for t in shown)
    assert not [
        lab
        for lab in s.k.window.view().findChildren(QLabel)
        if lab.pixmap() and not lab.pixmap().isNull()
    ]
    s.shot("kiosk-print-failed")
    assert ticket_states(hall) == {"A001": "cancelled"}
    assert device_states(hall)["kiosk-1/printer"] == (0, "timeout")


def test_paper_out_while_idle_pauses_ticketing(
    make_kiosk: Callable[..., Screen_], hall: LocalHall, clock: FixedClock
) -> None:
    """The idle status check (kiosk.printer.poll_seconds) finds the paper out before anyone
    taps: a device.fault for the hub, 暂停取号 on the home screen, tiles that take no taps;
    a new roll is noticed within seconds: device.recovered, tickets again."""
    sim = SimulatedPrinter()
    s = make_kiosk(sim=sim)
    s.qtbot.waitUntil(lambda: device_states(hall).get("kiosk-1/printer") == (1, "ok"))
    # The hub has the first status before the kiosk's screen thread has its answer, which
    # sets the next check poll_seconds from then: wait for it, or the clock's step is lost.
    s.qtbot.waitUntil(lambda: not s.m.printer._asking)
    sim.faults.paper_out = True
    clock.advance(30)  # kiosk.printer.poll_seconds
    s.qtbot.waitUntil(lambda: device_states(hall)["kiosk-1/printer"] == (0, "paper_out"))
    s.qtbot.waitUntil(lambda: "暂停取号" in s.labels())
    assert "打印机暂停服务（缺纸），工作人员正在处理。请稍候，或到服务台咨询。" in s.labels()
    assert not s.find("service-SB-001").isEnabled()
    assert s.find("open-checkin").isEnabled()  # a phone ticket's arrival prints nothing
    s.click("service-SB-001")  # a tap on a paused tile: nothing, no 绿色通道 question
    assert s.m.screen is Screen.HOME and ticket_states(hall) == {}
    s.shot("kiosk-home-paused")
    sim.faults.paper_out = False
    clock.advance(5)  # while paused the kiosk looks every few seconds
    s.qtbot.waitUntil(lambda: device_states(hall)["kiosk-1/printer"] == (1, "ok"))
    s.qtbot.waitUntil(lambda: "暂停取号" not in s.labels())
    kinds = [t for t in event_types(hall) if t.startswith("device.")]
    assert kinds[-2:] == ["device.fault", "device.recovered"]
    s.click("service-SB-001")
    s.click("priority-normal")
    s.wait_for(Screen.TICKET)
    assert ticket_states(hall) == {"A001": "waiting"}


def test_refusals_say_why_and_what_to_do(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    _, tool = hall.connect("tool-1", "tool")
    catalog = json.loads(hall.cfg.catalog_path.read_text(encoding="utf-8"))
    for svc in catalog["services"]:
        if svc["code"] == "YB-002":
            svc["daily_quota"] = 1
        if svc["code"] == "HY-001":
            svc["hours"] = [{"days": "6", "from": "09:00", "to": "12:00"}]
    tool.execute("apply_catalog", {"version": 2, "services": catalog["services"]})
    tool.execute("issue", {"service": "YB-002"})
    s = make_kiosk()
    s.qtbot.waitUntil(lambda: "未到办理时间" in s.find("service-HY-001").text())
    s.click("service-HY-001")  # closed today: refused at once, no priority question
    s.wait_for(Screen.REFUSED)
    assert "不在办理时间内。办理时间：周六 09:00-12:00" in s.labels()
    s.shot("kiosk-refused-hours")
    s.click("home")
    s.click("service-YB-002")
    s.click("priority-normal")
    s.wait_for(Screen.REFUSED)
    shown = s.labels()
    assert "今日「门诊慢特病待遇认定」号已取完（限 1 个）" in shown
    assert "请明天再来，或通过预约渠道预约" in shown
    s.shot("kiosk-refused-quota")
    s.click("lang")
    assert s.m.router.lang == "en"
    s.click("home")
    s.click("service-YB-002")
    s.click("priority-normal")
    s.wait_for(Screen.REFUSED)
    assert "All of today's tickets for this service have been taken." in s.labels()
    assert "No ticket right now" in s.labels()


def test_closed_screen_outside_hours(make_kiosk: Callable[..., Screen_], clock: FixedClock) -> None:
    clock.t = at("08:40")
    s = make_kiosk()
    s.wait_for(Screen.CLOSED)
    shown = s.labels()
    assert "当前不在办理时间" in shown and "周一至周五 09:00-12:00、13:30-17:00" in shown
    s.shot("kiosk-closed")
    clock.t = at("09:00")
    s.wait_for(Screen.HOME)
    clock.t = at("12:00")
    s.wait_for(Screen.CLOSED)


def test_hub_unreachable_shows_a_plain_message(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    s = make_kiosk()
    hall.broker.go_down()
    s.wait_for(Screen.OFFLINE)
    assert "系统暂时无法连接" in s.labels()
    s.shot("kiosk-offline")
    hall.broker.come_up()
    s.wait_for(Screen.HOME)


def test_hub_lost_mid_issue_issues_nothing_visible(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    s = make_kiosk()
    s.click("service-SB-001")
    s.wait_for(Screen.PRIORITY)
    hall.hub.stop()  # the broker stays, the hub does not answer: requests time out
    s.click("priority-normal")
    s.wait_for(Screen.REFUSED, timeout=10000)
    assert "系统暂时无法连接" in s.labels()
    assert s.k.simulator is not None and s.k.simulator.tickets() == []


def _appointment(hall: LocalHall, **over: Any) -> None:
    _, tool = hall.connect("sync", "sync")
    change = {
        "id": "AP20261127000123",
        "version": 1,
        "status": "booked",
        "service": "SB-001",
        "date": DAY.isoformat(),
        "slot_start": "09:30",
        "slot_end": "10:00",
        "code": "482913",
        "citizen": {
            "name_masked": "张*",
            "id_hash": tokens.id_hash(VALID_ID, HASH_KEY),
            "phone_tail": "5678",
        },
        "priority": "normal",
        "channel": "mini_program",
    }
    change.update(over)
    tool.execute("apply_appointment", {"change": change})


def test_check_in_with_the_code_keypad(make_kiosk: Callable[..., Screen_], hall: LocalHall) -> None:
    _appointment(hall)
    s = make_kiosk()
    s.touch("open-checkin")
    s.wait_for(Screen.CHECKIN)
    for digit in "48291":
        s.touch(f"code-{digit}")
    s.click("code-submit")
    assert "请输入完整的 6 位预约码" in s.labels()
    s.click("code-3")
    assert "4 8 2 9 1 3" in s.labels()
    s.shot("kiosk-checkin")
    s.click("code-submit")
    s.wait_for(Screen.TICKET)
    shown = "\n".join(s.labels())
    assert "A001" in shown and "预约签到成功，您将优先办理" in shown
    assert "预约时段 09:30-10:00" in shown
    s.shot("kiosk-checked-in")
    (printed,) = s.k.simulator.tickets()  # type: ignore[union-attr]
    assert "预约时段 09:30-10:00" in texts(printed)  # the words the screen uses
    s.click("home")
    s.click("open-checkin")
    for digit in "000000":
        s.click(f"code-{digit}")
    s.click("code-submit")
    s.wait_for(Screen.REFUSED)
    assert "未找到您的预约" in s.labels() and "暂时无法签到" in s.labels()


def test_check_in_by_scanning_the_qr_token(
    make_kiosk: Callable[..., Screen_], hall: LocalHall, keys: Keys, city_key: Any
) -> None:
    device = SimulatedDevice("Netum 2D Scanner")
    s = make_kiosk(
        keys=keys,
        kiosk={"inputs": [{"name": "scanner-1", "kind": "evdev", "match_name": "Netum"}]},
        openers={"scanner-1": lambda: device},
    )
    s.qtbot.waitUntil(lambda: device.grabbed)
    claims = {
        "id": "AP-TOKEN-1",
        "hall": "410411-ZH01",
        "service": "YB-001",
        "date": DAY.isoformat(),
        "slot_start": "10:30",
        "slot_end": "11:00",
        "exp": "2026-11-27T23:59:59+08:00",
    }
    device.feed(typed(tokens.sign_token(claims, city_key)))
    s.wait_for(Screen.TICKET)
    shown = "\n".join(s.labels())
    assert "B001" in shown and "预约签到成功，请在预约时段前后留意叫号" in shown
    s.shot("kiosk-checked-in-qr")
    forged = tokens.sign_token(claims, Ed25519PrivateKey.generate())
    s.click("home")
    device.feed(typed(forged))
    s.wait_for(Screen.REFUSED)
    assert "二维码校验未通过，请出示城市预约平台发送的二维码" in s.labels()
    assert ticket_states(hall) == {"B001": "waiting"}


def test_identity_number_is_matched_by_hash_and_never_kept(
    make_kiosk: Callable[..., Screen_],
    hall: LocalHall,
    keys: Keys,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _appointment(hall)
    device = SimulatedDevice("ID reader")
    s = make_kiosk(
        keys=keys,
        kiosk={
            "inputs": [
                {
                    "name": "idreader",
                    "kind": "evdev",
                    "path": "/dev/input/sim0",
                    "reject_human_speed": True,
                }
            ]
        },
        openers={"idreader": lambda: device},
    )
    s.qtbot.waitUntil(lambda: device.grabbed)
    device.feed(typed(VALID_ID))
    s.wait_for(Screen.TICKET)
    assert "A001" in s.labels()
    everything = [caplog.text, s.shown()]
    everything += [
        p.read_bytes().decode("utf-8", "replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix not in (".png",)
    ]
    for text in everything:
        assert VALID_ID not in text and VALID_ID.lower() not in text


def test_elder_mode(make_kiosk: Callable[..., Screen_], clock: FixedClock) -> None:
    player = NullPlayer()
    guide = Guide.with_voice(make_engine("espeak-ng"), player).start()
    s = make_kiosk(guide=guide)
    normal = s.k.window.views[Screen.HOME].heading.font().pixelSize()
    s.shot("kiosk-home-standard")
    s.touch("elder")
    assert s.m.router.elder and s.find("elder").text() == "标准模式"
    QTest.qWait(50)
    big = s.k.window.views[Screen.HOME].heading.font().pixelSize()
    assert big >= 1.5 * normal
    background = s.k.window.palette().color(s.k.window.backgroundRole())
    assert background.lightness() < 30  # high contrast: black ground
    s.shot("kiosk-home-elder")
    s.touch("service-SB-001")
    s.wait_for(Screen.PRIORITY)
    tile = s.find("priority-elderly")
    assert tile.height() >= 100
    s.touch("priority-elderly")
    s.wait_for(Screen.TICKET)
    s.shot("kiosk-ticket-elder")
    assert guide.wait_idle(30)
    spoken = [p.text for p in player.played]
    assert any(t.startswith("请取走您的号票，您的号码是 A001 号") for t in spoken)
    clock.advance(110)  # elder mode: no countdown, however close to going home
    QTest.qWait(300)
    assert s.k.window.countdown.text() == "" and s.m.screen is Screen.TICKET
    clock.advance(15)
    s.wait_for(Screen.HOME)
    assert not s.m.router.elder  # the next citizen starts in the standard mode


def test_idle_countdown_then_home(make_kiosk: Callable[..., Screen_], clock: FixedClock) -> None:
    s = make_kiosk()
    s.click("lang")
    s.click("open-checkin")
    s.wait_for(Screen.CHECKIN)
    clock.advance(45 - 5)
    s.qtbot.waitUntil(lambda: s.k.window.countdown.text() == "Home in 5 s")
    s.shot("kiosk-countdown")
    s.click("code-1")  # a touch starts the time again
    s.qtbot.waitUntil(lambda: s.k.window.countdown.text() == "")
    clock.advance(45)
    s.wait_for(Screen.HOME)
    assert s.m.router.lang == "zh" and s.m.checkin.code == ""


def test_english_switch(make_kiosk: Callable[..., Screen_]) -> None:
    s = make_kiosk()
    s.click("lang")
    shown = s.shown()
    assert "Please choose a service" in shown and "Check in (booking, phone ticket)" in shown
    assert "中文" in shown
    s.shot("kiosk-home-english")
    s.click("service-SB-001")
    assert "Do you need priority service?" in s.labels()
    s.click("priority-normal")
    s.wait_for(Screen.TICKET)
    assert "Please take your ticket" in s.labels()


def test_search_by_pinyin_initials(make_kiosk: Callable[..., Screen_]) -> None:
    s = make_kiosk()
    s.click("open-search")
    s.wait_for(Screen.SEARCH)
    for letter in "SBK":
        s.click(f"letter-{letter}")
    assert "S B K".replace(" ", "") in s.labels()
    visible = [
        b.objectName()
        for b in s.k.window.view().findChildren(QPushButton)
        if b.isVisible() and b.objectName().startswith("service-")
    ]
    assert visible == ["service-SB-001"]
    s.shot("kiosk-search")
    s.click("service-SB-001")
    s.wait_for(Screen.PRIORITY)


def test_technician_mode(make_kiosk: Callable[..., Screen_], hall: LocalHall, keys: Keys) -> None:
    device = SimulatedDevice("Scanner")
    sim = SimulatedPrinter()
    s = make_kiosk(
        sim=sim,
        keys=keys,
        kiosk={"inputs": [{"name": "scanner-1", "kind": "evdev", "path": "/dev/input/x"}]},
        openers={"scanner-1": lambda: device},
    )
    for _ in range(5):
        s.click("title")
    s.wait_for(Screen.PIN)
    for digit in "1111":
        s.click(f"pin-{digit}")
    assert "●●●●" in s.labels()
    s.click("pin-ok")
    assert "密码错误" in s.labels()
    for digit in "2468":
        s.click(f"pin-{digit}")
    s.click("pin-ok")
    s.wait_for(Screen.TECH)
    s.qtbot.waitUntil(lambda: "打印机：正常" in s.labels())
    s.click("tech-test-print")
    s.qtbot.waitUntil(lambda: "测试样张已打印，请检查字迹和切纸" in s.labels())
    assert s.k.window.views[Screen.TECH].message.objectName() == "ok"  # green, not red
    (page,) = sim.tickets()
    assert "测试样张" in texts(page) and not any(isinstance(e, QrCode) for e in page)
    device.feed(typed(VALID_ID))
    s.qtbot.waitUntil(lambda: any("身份证号" in t for t in s.labels()))
    assert VALID_ID not in s.shown()
    s.qtbot.waitUntil(lambda: any("scanner-1 ready" in t for t in s.labels()))
    assert any("hall " in t and "Qt" in t for t in s.labels())
    s.shot("kiosk-technician")
    assert device_states(hall)["kiosk-1/scanner-1"] == (1, "ready")
    device.unplug()
    s.qtbot.waitUntil(lambda: device_states(hall).get("kiosk-1/scanner-1") == (0, "unplugged"))
    s.click("tech-exit")
    s.wait_for(Screen.HOME)


def test_reprint_mode_from_the_technician_screen(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    sim = SimulatedPrinter()
    s = make_kiosk(sim=sim, queue={"print_failure": "reprint"})
    sim.faults.paper_out_after = 200
    s.click("service-SB-001")
    s.click("priority-normal")
    s.wait_for(Screen.FAILED)
    assert "请记下您的号码，到服务台补打号票" in s.labels() and "A001" in s.labels()
    sim.faults.paper_out = False
    sim.faults.paper_out_after = None
    s.click("home")
    s.technician_login()
    s.qtbot.waitUntil(lambda: "补打 A001" in s.shown())
    s.click("tech-reprint-A001")
    s.qtbot.waitUntil(lambda: "A001 已补打" in s.labels())
    assert ticket_states(hall) == {"A001": "waiting"}
    assert len(sim.tickets()) == 1


NEARBY = {
    "at": "2026-11-27T09:25:00+08:00",
    "online": True,
    "halls": [
        {
            "hall_id": "410411-XC01",
            "name": "新城街道便民服务中心",
            "address": "新城路 1 号",
            "distance_km": 1.2,
            "services": ["SB-001", "YB-001"],
            "load": {"SB-001": {"waiting": 12, "est_wait_min": 40}},
            "load_at": None,
        },
        {
            "hall_id": "410402-ZX01",
            "name": "新华区政务服务中心",
            "address": "建设路 88 号",
            "distance_km": 6.5,
            "services": ["SB-001"],
            "load": {"SB-001": {"waiting": 0, "est_wait_min": 0}},
            "load_at": None,
        },
    ],
}


def test_where_else_screen(make_kiosk: Callable[..., Screen_], hall: LocalHall) -> None:
    sync_bus = hall.bus("sync", "sync")
    sync_bus.publish("hall/v1/state/nearby", NEARBY, retain=True)
    s = make_kiosk()
    s.qtbot.waitUntil(lambda: s.m.hall.nearby is not None)
    s.click("open-nearby")
    s.wait_for(Screen.NEARBY)

    def names() -> list[str]:
        return [t.split(". ", 1)[1] for t in s.labels() if t[:2] in ("1.", "2.")]

    assert names() == ["新华区政务服务中心", "新城街道便民服务中心"]  # best: 26 min vs 44.8
    assert any("6.5 公里 · 无需等候" in t or "6.5 公里 · 等候 0 人" in t for t in s.labels()), (
        s.labels()
    )
    assert "信息更新于 09:25" in s.labels()
    s.shot("kiosk-nearby")
    s.click("nearby-mode-nearest")
    assert names() == ["新城街道便民服务中心", "新华区政务服务中心"]
    sync_bus.publish("hall/v1/state/nearby", {**NEARBY, "online": False}, retain=True)
    s.qtbot.waitUntil(lambda: "城市平台暂时离线，以下为 09:25 的信息" in s.labels())
    s.click("nearby-service-YB-001")
    assert names() == ["新城街道便民服务中心"]


def test_a_failed_print_says_void_first_aloud_and_staff_see_it(
    make_kiosk: Callable[..., Screen_], hall: LocalHall
) -> None:
    """The printer hangs mid-ticket (the citizen may hold paper): 此号已作废 first, large and
    spoken in elder mode, never the number as if valid, no QR code; the hub has the ticket
    cancelled (print_failed), the printer's fault names the number, the technician screen
    and `hall doctor` show it."""
    import json

    from appliance.ops import checks
    from appliance.ops.checks.base import Context, Options

    player = NullPlayer()
    guide = Guide.with_voice(make_engine("espeak-ng"), player).start()
    sim = SimulatedPrinter()
    s = make_kiosk(sim=sim, guide=guide)
    s.click("elder")
    sim.faults.stall_after = 300
    s.click("service-SB-001")
    s.click("priority-normal")
    s.wait_for(Screen.FAILED)
    shown = s.labels()
    assert shown[0] == "此号已作废" and "A001" not in shown
    assert "作废号码：A001（不会叫到）" in shown
    s.shot("kiosk-print-failed-elder")
    assert guide.wait_idle(30)
    said = player.played[-1].text
    assert said.startswith("此号已作废") and "A001" not in said and "A 001" not in said
    rows = db_rows(hall, "SELECT data FROM events WHERE type = 'ticket.cancelled'")
    assert [json.loads(r[0])["reason"] for r in rows] == ["print_failed"]
    detail = db_rows(hall, "SELECT detail FROM devices WHERE device = 'kiosk-1/printer'")
    assert "ticket A001 voided" in detail[0][0]
    ctx = Context(hall.config_path, Options())
    ctx.load()
    (seen,) = checks.run_checks(ctx, ["reported-devices"])
    assert seen.status == "warn" and "kiosk-1/printer timeout" in seen.summary
    sim.faults.stall_after = None
    s.click("home")
    s.technician_login()
    assert any(t.startswith("最近作废：A001（超时，") for t in s.labels())


def test_english_screens_use_the_catalogs_english_names(
    make_kiosk: Callable[..., Screen_],
) -> None:
    """English tabs, and the catalog's English names (``name_en``, which the demo's catalog
    gives for every service) on the tiles, through the hub's catalog on the hall bus."""
    s = make_kiosk()
    s.click("lang")
    assert s.find("category-社会保障").text() == "Social security"
    assert s.find("category-all").text() == "All"
    assert "Social security card" in s.find("service-SB-001").text()
    assert not any("shown in Chinese" in t for t in s.labels())  # every service has one
    s.click("lang")
    assert "社会保障卡申领" in s.find("service-SB-001").text()


def test_search_by_everyday_words_and_an_honest_keyboard(
    make_kiosk: Callable[..., Screen_],
) -> None:
    s = make_kiosk()
    s.click("open-search")
    assert "按业务名称的拼音首字母查找，如 SBK（社保卡）、HZ（护照）" in s.labels()
    assert "请按下方字母键" in s.labels()  # the empty query says where to type
    for letter in "HZ":
        s.click(f"letter-{letter}")
    tiles = [
        b.objectName()
        for b in s.k.window.view().findChildren(QPushButton)
        if b.isVisible() and b.objectName().startswith("service-")
    ]
    assert tiles[0] == "service-CRJ-001"  # 护照 → 出入境证件申请
    s.click("letter-clear")
    for letter in "GS":
        s.click(f"letter-{letter}")
    first = next(
        b.objectName()
        for b in s.k.window.view().findChildren(QPushButton)
        if b.isVisible() and b.objectName().startswith("service-")
    )
    assert first == "service-SCJG-001"  # 工商 → 营业执照设立登记


def test_where_else_without_data_says_one_thing(make_kiosk: Callable[..., Screen_]) -> None:
    s = make_kiosk()
    s.click("open-nearby")
    s.wait_for(Screen.NEARBY)
    words = [t for t in s.labels() if t and t != "智能导航 · 其他网点"]
    assert words == ["暂无其他网点的信息", "返回首页"]
    assert not s.find("back").isHidden()
