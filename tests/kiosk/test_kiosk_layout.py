"""Every kiosk screen, in the standard and the elder mode (and in English), at 1920×1080,
1366×768, 1280×1024, standing 1080×1920 and in the desktop demo's 1080×800 window: every
widget inside the window and its parent, no text cut off, no line broken inside a word, the
category tabs whole. A screenshot of each is saved (KIOSK_SHOTS=folder keeps them).

Measured with QFontMetrics against each widget's rect (tests/kiosk/layout.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest

from hall.core.timekeeping import FixedClock
from kiosk.model import KioskModel
from kiosk.ui.window import KioskWindow
from tests.kiosk.conftest import at
from tests.kiosk.layout import breaks_ok, problems
from tests.kiosk.screens import SCREENS, StandIn, make_model, reset

pytestmark = pytest.mark.timeout(240)
SIZES = [(1920, 1080), (1366, 768), (1280, 1024), (1080, 1920), (1080, 800)]  # (desktop demo)
SHOTS = os.environ.get("KIOSK_SHOTS")  # a folder to keep the screenshots in


@pytest.fixture(scope="module")
def kiosk(qapp: Any) -> Iterator[tuple[KioskModel, StandIn, FixedClock, KioskWindow]]:
    clock = FixedClock(at("09:30"))
    ops = StandIn()
    m = make_model(clock, ops)
    window = KioskWindow(m, tick_ms=3_600_000)
    window.show()
    yield m, ops, clock, window
    window.timer.stop()
    window.close()


def _check(kiosk: Any, size: tuple[int, int], lang: str, shots: Path) -> list[str]:
    m, ops, clock, window = kiosk
    window.resize(*size)
    found: list[str] = []
    for elder in (False, True):
        for name, (screen, setup) in SCREENS.items():
            reset(m, ops, clock)
            if m.router.elder != elder:
                m.access.toggle_elder()
            if m.router.lang != lang:
                m.access.toggle_language()
            setup(m, ops, clock)
            assert m.router.screen is screen, (name, m.router.screen)
            QTest.qWait(1)
            window.resize(*size)  # a screen that needed more grew the window: back to size
            QTest.qWait(1)
            mode = "elder" if elder else "standard"
            found += [f"{size} {lang} {mode} {name}: {p}" for p in problems(window, size)]
            if lang == "zh" or size == (1920, 1080):
                stem = f"{size[0]}x{size[1]}-{lang}-{mode}-{name}"
                window.grab().save(str(shots / f"{stem}.png"))
    ops.release()
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_fits(kiosk: Any, size: tuple[int, int], lang: str, tmp_path: Path) -> None:
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    found = _check(kiosk, size, lang, shots)
    assert not found, "\n".join(found[:40])
    assert len(list(shots.glob(f"{size[0]}x{size[1]}-{lang}-*.png"))) >= (
        2 * len(SCREENS) if lang == "zh" or size == (1920, 1080) else 0
    )


def test_the_checker_sees_a_word_broken() -> None:
    """The rule itself: 扫描口 is never broken, a line may end after a mark."""
    raw = "请将手机上的预约二维码对准扫描口，或刷身份证"
    assert breaks_ok(raw, ["请将手机上的预约二维码对准扫描口，", "或刷身份证"]) is None
    assert breaks_ok(raw, ["请将手机上的预约二维码对准扫描", "口，或刷身份证"]) is not None
    assert breaks_ok("Appointment check-in", ["Appoint", "ment check-in"]) is not None


def test_a_name_is_measured_for_the_lines_it_may_take(qapp: Any) -> None:
    """The nearby screen's chooser sizes its columns so each name takes at most two lines."""
    from PySide6.QtWidgets import QWidget

    from kiosk.ui.style import sheet
    from kiosk.ui.widgets import button, label

    name = label("Household registration transfer")
    two = name.width_for_lines(2)
    assert len(name.lines(two)) == 2 and len(name.lines(two - 1)) == 3
    assert name.width_for_lines(1) == name.sizeHint().width()
    assert len(name.lines(name.width_for_lines(1) - 1)) == 2
    holder = QWidget()  # a window of its own has a least width
    holder.setStyleSheet(sheet(1.5, True))  # elder mode
    holder.resize(1000, 400)
    tile = button("Household registration transfer", "t", lambda: None, "tab")
    tile.setParent(holder)
    holder.show()
    for lines in (1, 2):
        tile.resize(tile.width_for_lines(lines), 200)
        assert len(tile.title.shown().split("\n")) == lines
        assert tile.title.width() == tile.title.width_for_lines(lines)  # all of it for words
    holder.close()
