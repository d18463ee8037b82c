"""The window alone (pytest-qt): long names fit, the notice scrolls, 1080p and 4K alike."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from display.model import DisplayModel
from display.speech import NameWarmer
from display.view import DisplayWindow

from .helpers import board, call

NOW = datetime(2026, 11, 27, 9, 30)
LONG_NOTICE = "温馨提示：" + "请保管好随身财物，按叫号顺序到指定窗口办理业务，过号请到服务台。" * 3


def window(qtbot: QtBot, size: tuple[int, int], orientation: str = "landscape") -> DisplayWindow:
    made = DisplayWindow(orientation)  # type: ignore[arg-type]
    qtbot.addWidget(made)
    made.resize(*size)
    made.show()
    qtbot.waitExposed(made)
    return made


def test_a_long_counter_name_shrinks_the_banner_instead_of_breaking(
    qtbot: QtBot, tmp_path: Path
) -> None:
    w = window(qtbot, (1920, 1080))
    m = DisplayModel()
    m.set_link(True)
    m.apply_board(board(notice=LONG_NOTICE))
    m.apply_call(call("A001", "12", counter_name="不动产登记中心综合受理第三窗口"), mono=0.0)
    w.show_screen(m.screen(NOW, 0.1, w.service_rows))
    qtbot.wait(50)
    banner = w.banner
    assert banner.plain == "请 A001 号 到 不动产登记中心综合受理第三窗口"
    assert banner.font().pixelSize() < w.metrics.banner_font
    assert banner.fontMetrics().horizontalAdvance(banner.plain) <= banner.width()
    assert w.grab().save(str(tmp_path / "long-name.png"))


def test_the_notice_scrolls_when_it_is_wider_than_the_screen(qtbot: QtBot) -> None:
    w = window(qtbot, (1920, 1080))
    m = DisplayModel()
    m.apply_board(board(notice=LONG_NOTICE))
    w.show_screen(m.screen(NOW, 0.0, w.service_rows))
    assert w.texts()["notice"] == LONG_NOTICE
    before = w.notice._offset
    qtbot.wait(300)
    assert w.notice._offset > before  # moving
    m.apply_board(board(notice="欢迎"))
    w.show_screen(m.screen(NOW, 0.0, w.service_rows))
    assert not w.notice._timer.isActive()  # a short notice stands still


def test_the_same_screen_at_4k_is_twice_as_large(qtbot: QtBot) -> None:
    small, large = window(qtbot, (1920, 1080)), window(qtbot, (3840, 2160))
    assert large.metrics.banner_font == 2 * small.metrics.banner_font
    assert large.time.font().pixelSize() == 2 * small.time.font().pixelSize()
    assert large.service_rows == small.service_rows


def test_counter_names_are_read_ahead_once() -> None:
    warmer = NameWarmer()
    thread = warmer.offer(["婚姻登记处", "3号窗口", ""])
    assert thread is not None
    thread.join(15)
    assert warmer.offer(["婚姻登记处"]) is None  # already read
