"""Every screen at every window size a display may get: each widget inside the window, no
text elided or running off its label (screenshots in the test's folder)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from display.model import DisplayModel
from display.view import DisplayWindow
from display.widgets import Banner, Label, Marquee

from .helpers import board, call

NOW = datetime(2026, 11, 27, 10, 30)  # a Friday, inside the hours
EVENING = datetime(2026, 11, 27, 18, 5)
SIZES = {
    "landscape": [(1920, 1080), (1366, 768), (1280, 1024), (1280, 720), (1024, 768), (3840, 2160)],
    "portrait": [(1080, 1920), (768, 1366), (1024, 1280), (720, 1280), (2160, 3840)],
}
# a display set to one orientation on a screen of the other shape keeps everything too
CROSSED = [("landscape", (1080, 1920)), ("portrait", (1920, 1080)), ("portrait", (1280, 1024))]
CASES = [(o, s) for o, sizes in SIZES.items() for s in sizes] + CROSSED
NAMES = [
    "不动产登记（二手房转移）",
    "门诊慢特病待遇认定",
    "发票领用与税务登记",
    "医保关系转移接续",
    "养老保险参保登记",
    "营业执照设立登记",
    "出入境证件申请",
    "社会保障卡申领",
    "住房公积金提取",
    "户口迁移",
    "婚姻登记",
    "综合咨询",
    "不动产抵押登记",
]
CATALOG = {
    "services": [
        {"code": "SB-001", "hours": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}]},
        {"code": "YB-001", "hours": [{"days": [1, 2, 3, 4, 5], "from": "13:30", "to": "17:00"}]},
    ]
}


def services(open_counters: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "code": f"S{i}",
            "name": name,
            "waiting": 7 * i + 100 * (i == 3),
            "est_wait_min": (95, 12, 175)[i % 3],
            "open_counters": open_counters,
            "on_the_way": min(7 * i + 100 * (i == 3), (0, 3, 12, 104)[i % 4]),  # 云叫号
        }
        for i, name in enumerate(NAMES)
    ]


def counters(states: dict[str, str]) -> list[dict[str, Any]]:
    out = [
        {"counter": c, "name": f"{c}号窗口", "state": s, "current": None} for c, s in states.items()
    ]
    return [*out, {"counter": "20", "name": "婚姻登记处", "state": "paused", "current": None}]


def busy() -> tuple[DisplayModel, float]:
    m = DisplayModel(hall_name="曹镇乡便民服务中心")
    m.set_link(True)
    recent = [
        call(f"C{100 + i}", str(60 + i), seq=i, counter_name="不动产登记综合受理窗口")
        for i in range(1, 10)
    ]
    states = {str(c): "paused" if c < 5 else "closed" for c in range(1, 14)}
    m.apply_board(
        board(*recent, services=services(), counters=counters(states), notice="请保管好随身物品")
    )
    m.apply_call(
        call("H108", "63", seq=30, recall=True, counter_name="不动产登记中心综合受理第三窗口"), 0.0
    )
    return m, 0.1


def idle() -> tuple[DisplayModel, float]:
    m = DisplayModel(hall_name="湛河区政务服务中心")
    m.set_link(False)
    m.apply_board(board(services=services()))
    return m, 100.0


def closed() -> tuple[DisplayModel, float]:
    m = DisplayModel(hall_name="湛河区政务服务中心")
    m.set_link(True)
    m.apply_catalog(CATALOG)
    states = {str(c): "closed" for c in range(1, 12)}
    m.apply_board(board(services=services(0), counters=counters(states)[:-1]))
    return m, 100.0


SCREENS = {"busy": (busy, NOW), "idle": (idle, NOW), "closed": (closed, EVENING)}


def outside(window: QWidget) -> list[str]:
    bad = []
    for child in window.findChildren(QWidget):
        if child.isVisible():
            where = QRect(child.mapTo(window, QPoint(0, 0)), child.size())
            if not window.rect().contains(where):
                bad.append(f"{type(child).__name__} {getattr(child, 'full', '')!r} at {where}")
    return bad


def cut(window: QWidget) -> list[str]:
    bad = []
    for label in window.findChildren(Label):
        if not label.isVisible():
            continue
        room = label.contentsRect()
        metrics = label.fontMetrics()
        if isinstance(label, Banner):  # rich text: laid out as Qt lays it out
            doc = QTextDocument()
            doc.setDocumentMargin(0)
            doc.setDefaultFont(label.font())
            doc.setHtml(label.text())
            if doc.idealWidth() > room.width() or doc.size().height() > room.height():
                bad.append(f"banner {label.plain!r}: {doc.idealWidth()}x{doc.size().height()}")
            lines, height = label.lines, metrics.lineSpacing() * len(label.lines)
        else:
            lines, height = ([label.full] if label.full else []), metrics.height()
        for line in lines:
            if metrics.horizontalAdvance(line) > room.width():
                bad.append(
                    f"too wide: {line!r} ({metrics.horizontalAdvance(line)} > {room.width()})"
                )
        if lines and height > room.height():
            bad.append(f"too tall: {lines[0]!r} ({height} > {room.height()})")
        if not isinstance(label, Banner) and label.text() != label.full:
            bad.append(f"elided: {label.full!r} shown as {label.text()!r}")
    return bad


@pytest.mark.parametrize(("orientation", "size"), CASES, ids=lambda v: str(v))
def test_every_screen_fits_every_size(
    qtbot: QtBot, tmp_path: Path, orientation: str, size: tuple[int, int]
) -> None:
    window = DisplayWindow(orientation)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    for name, (make, now) in SCREENS.items():
        model, mono = make()
        screen = model.screen(now, mono, window.service_rows)
        window.show_screen(screen)
        qtbot.wait(10)
        assert window.findChildren(Marquee)
        problems = outside(window) + cut(window)
        shot = tmp_path / f"{orientation}-{size[0]}x{size[1]}-{name}.png"
        assert window.grab().save(str(shot))
        assert not problems, (name, shot, problems)
        shown = window.texts()
        if name == "busy":
            assert shown["banner"] == "请 H108 号 到 不动产登记中心综合受理第三窗口"
            assert len(shown["services"]) == min(window.service_rows, len(NAMES))  # type: ignore[arg-type]
            assert window.metrics.recent_rows >= 3 and window.service_rows >= 3
        elif name == "closed":
            assert shown["banner"] == "今日办理已结束" and shown["counters"] == ""
        else:
            assert shown["banner"] == "请留意叫号信息，过号请到服务台咨询"
