"""The display app offscreen (pytest-qt): calls on the bus reach the screen and the announcer.

Every test runs a whole hall on the in-process bus; a counter pad signs in and calls, and
the display shows and announces what the hub publishes. Screenshots are saved in tmp_path
and checked by the labels' text, the size and the banner's colour.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from appliance.local import LocalHall
from display.app import DisplayApp, DisplayOptions
from display.health import DeviceReporter
from display.settings import DisplaySection, SpeechSection
from display.widgets import FLASH_BG, PANEL
from drivers.speech import Announcer, NullPlayer, SpeechEngine
from drivers.speech.announcer import CHIME_ONLY
from drivers.speech.engine import CommandEngine
from hall.hubapi.client import HallClient

from .conftest import DOUBLE_PRESS_S, issue
from .helpers import GateEngine

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=TZ)
WAIT_MS = 20_000  # a wait ends when its condition holds: the bound only ends a broken test


class Display:
    """A display app on the hall's bus with a speech engine of the test's choosing."""

    def __init__(
        self,
        hall: LocalHall,
        qtbot: QtBot,
        engine: SpeechEngine,
        *,
        size: tuple[int, int] = (1920, 1080),
        orientation: str = "landscape",
        deadline_s: float = 8.0,
    ) -> None:
        section = DisplaySection(
            layout=orientation, speech=SpeechSection(synth_deadline_seconds=deadline_s)
        )  # type: ignore[call-arg]
        from display.speech import speech_settings

        bus = hall.bus("display-1", "display")
        self.player = NullPlayer()
        self.reporter = DeviceReporter(HallClient(bus), "display-1")
        self.announcer = Announcer(
            engine, self.player, speech_settings(section.speech), on_health=self.reporter.report
        )
        options = DisplayOptions(section, hall.cfg.hall.name, TZ, hall.cfg.base)
        self.app = DisplayApp(
            bus, options, announcer=self.announcer, reporter=self.reporter, now=lambda: NOW
        )
        self.window = self.app.window
        qtbot.addWidget(self.window)
        self.window.resize(*size)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.app.start()

    def texts(self) -> dict[str, Any]:
        return self.window.texts()

    def shot(self, path: Path) -> QImage:
        assert self.window.grab().save(str(path))
        image = QImage(str(path))
        assert not image.isNull()
        return image

    def spoken(self) -> list[str]:
        return [p.text for p in self.player.played]


@pytest.fixture
def displays(hall: LocalHall, qtbot: QtBot) -> Iterator[list[Display]]:
    made: list[Display] = []
    yield made
    for d in made:
        d.app.close()


def banner_colour(image: QImage) -> str:
    banner = image.height() // 4  # the banner's band, left of the text
    return QColor(image.pixel(image.width() // 50, banner)).name()


def test_calls_on_the_bus_are_shown_and_announced_in_order(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display], tmp_path: Path
) -> None:
    issue(hall, "YB-001", "YB-001", "YB-001", "HY-001")
    engine = GateEngine()
    d = Display(hall, qtbot, engine)
    displays.append(d)
    qtbot.waitUntil(lambda: d.texts()["hall_name"] == "湛河区政务服务中心", timeout=WAIT_MS)

    engine.gate.clear()  # the engine is slow: calls queue behind the first one
    pad.execute("call_next", {"counter": "3"})  # B001
    assert engine.entered.wait(5)
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 B001 号 到 3 号窗口", timeout=WAIT_MS)
    pad.execute("call_next", {"counter": "9"})  # J001
    hall.clock.advance(DOUBLE_PRESS_S)  # a later press, not a bounce
    pad.execute("call_next", {"counter": "3"})  # B002
    pad.execute("recall", {"counter": "3"})  # B002 again, while it waits: merges
    qtbot.waitUntil(lambda: len(d.announcer.waiting()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 B002 号 到 3 号窗口", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "医保关系转移接续 1 人 约" in d.texts()["services"][0], timeout=WAIT_MS)
    assert d.texts()["recent"] == ["J001 婚姻登记处", "B001 3 号窗口"]
    image = d.shot(tmp_path / "display-landscape.png")
    assert (image.width(), image.height()) == (1920, 1080)
    assert banner_colour(image) in (FLASH_BG, PANEL)  # flashing: one of its two phases

    waiting = d.announcer.waiting()
    assert [(c.ticket, c.recall) for c in waiting] == [("J001", False), ("B002", True)]
    engine.gate.set()
    assert d.announcer.wait_idle(10)
    assert d.spoken() == [
        "请 B001 号到 3 号窗口办理",
        "请 J001 号到婚姻登记处办理",
        "请 B002 号到 3 号窗口办理",
    ]
    assert engine.spoken == d.spoken()


def test_the_retained_board_is_shown_at_start_and_old_calls_are_not_announced(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display], tmp_path: Path
) -> None:
    issue(hall, "YB-001", "HY-001")
    pad.execute("call_next", {"counter": "3"})
    pad.execute("call_next", {"counter": "9"})
    hall.settle()
    d = Display(hall, qtbot, GateEngine())
    displays.append(d)
    qtbot.waitUntil(
        lambda: d.texts()["recent"] == ["J001 婚姻登记处", "B001 3 号窗口"], timeout=WAIT_MS
    )
    texts = d.texts()
    assert (
        texts["banner"] == "请留意叫号信息，过号请到服务台咨询"
    )  # nothing flashes after a restart
    assert texts["status"] == ""
    assert texts["counters"] == "未开放：1、2、4～8 号窗口、综合窗口"
    qtbot.wait(300)
    assert d.spoken() == []  # and nothing is announced again
    d.shot(tmp_path / "display-start.png")


def test_link_lost_keeps_the_last_state_and_recovers(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display]
) -> None:
    issue(hall, "YB-001", "YB-001")
    d = Display(hall, qtbot, GateEngine())
    displays.append(d)
    pad.execute("call_next", {"counter": "3"})
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 B001 号 到 3 号窗口", timeout=WAIT_MS)
    hall.broker.go_down()
    qtbot.waitUntil(lambda: d.texts()["status"] == "连接中断", timeout=WAIT_MS)
    assert d.texts()["banner"] == "请 B001 号 到 3 号窗口"  # the last state stays
    hall.broker.come_up()
    qtbot.waitUntil(lambda: d.texts()["status"] == "", timeout=WAIT_MS)
    hall.clock.advance(DOUBLE_PRESS_S)  # a later press, not a bounce
    pad.execute("call_next", {"counter": "3"})
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 B002 号 到 3 号窗口", timeout=WAIT_MS)


def test_a_hanging_engine_does_not_block_the_screen(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display]
) -> None:
    hung = CommandEngine("hung", [sys.executable, "-c", "import time; time.sleep(60)"])
    issue(hall, "YB-001", "YB-001", "HY-001")
    d = Display(hall, qtbot, hung, deadline_s=3.0)
    displays.append(d)
    pad.execute("call_next", {"counter": "3"})
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 B001 号 到 3 号窗口", timeout=WAIT_MS)
    pad.execute("call_next", {"counter": "9"})
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 J001 号 到 婚姻登记处", timeout=WAIT_MS)
    # both shown while the engine still hangs on the first: nothing played yet (a screen that
    # waited for the engine would show B001 only after its deadline gave up on it)
    assert d.player.played == []
    ticks: list[float] = []
    d.app._timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    qtbot.waitUntil(lambda: len(d.player.played) == 2, timeout=WAIT_MS)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert gaps and max(gaps) < 2.0  # ticking (100 ms), never held for the 3 s deadline
    assert [p.text.startswith(CHIME_ONLY) for p in d.player.played] == [True, True]
    assert d.reporter.wait_sent(5)
    device = hall.store.state.devices["display-1/speech"]
    assert (device.kind, device.ok, device.state) == ("speech", False, "timeout")
    faults = [e for e in hall.events() if e["type"] == "device.fault"]
    assert len(faults) == 1  # reported once, not once per call


def test_a_failing_engine_is_reported_and_its_recovery_too(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display]
) -> None:
    engine = GateEngine()
    engine.fail = True
    issue(hall, "YB-001", "YB-001")
    d = Display(hall, qtbot, engine)
    displays.append(d)
    pad.execute("call_next", {"counter": "3"})
    qtbot.waitUntil(lambda: len(d.player.played) == 1, timeout=WAIT_MS)
    assert d.reporter.wait_sent(5)
    assert hall.store.state.devices["display-1/speech"].ok is False
    engine.fail = False
    hall.clock.advance(DOUBLE_PRESS_S)  # a later press, not a bounce
    pad.execute("call_next", {"counter": "3"})
    qtbot.waitUntil(lambda: len(d.player.played) == 2, timeout=WAIT_MS)
    assert d.reporter.wait_sent(5)
    qtbot.waitUntil(
        lambda: hall.store.state.devices["display-1/speech"].ok is True, timeout=WAIT_MS
    )
    types = [e["type"] for e in hall.events() if e["type"].startswith("device.")]
    assert types.count("device.fault") == 1 and types[-1] == "device.recovered"


def test_portrait_on_a_4k_screen(
    hall: LocalHall, pad: HallClient, qtbot: QtBot, displays: list[Display], tmp_path: Path
) -> None:
    issue(hall, "HY-001")
    d = Display(hall, qtbot, GateEngine(), size=(2160, 3840), orientation="portrait")
    displays.append(d)
    pad.execute("call_next", {"counter": "9"})
    qtbot.waitUntil(lambda: d.texts()["banner"] == "请 J001 号 到 婚姻登记处", timeout=WAIT_MS)
    m = d.window.metrics
    assert (m.orientation, m.width, m.height) == ("portrait", 2160, 3840)
    assert d.window.banner.font().pixelSize() == m.banner_font == 208  # twice 1080p's
    image = d.shot(tmp_path / "display-portrait-4k.png")
    assert (image.width(), image.height()) == (2160, 3840)
