"""deploy/screen_judge.py tells a window with a title bar from one without, on drawn images:
the kiosk's own header (buttons from 13 px down) passes; Qt's Wayland decoration (a 30 px
band of its own colour with a close button) fails, and so does a plain band of another
colour."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import screen_judge


def draw(tmp_path: Path, *, band: str | None, button: bool, header_button_y: int) -> Path:
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    _app = QGuiApplication.instance() or QGuiApplication([])
    img = QImage(1280, 720, QImage.Format.Format_RGB32)
    img.fill(QColor("#f3f6fa"))
    p = QPainter(img)
    p.fillRect(40, 300, 600, 80, QColor("#1f2937"))  # content
    p.fillRect(40, 500, 300, 60, QColor("#2563eb"))
    p.fillRect(1064, header_button_y, 194, 36, QColor("#ffffff"))  # the kiosk's own button
    if band is not None:
        p.fillRect(0, 0, 1280, 30, QColor(band))
    if button:
        p.fillRect(1250, 5, 20, 20, QColor("#cc0000"))
    p.end()
    path = tmp_path / "shot.png"
    assert img.save(str(path))
    return path


@pytest.mark.parametrize(
    ("band", "button", "ok"),
    [(None, False, True), ("#dcdcdc", True, False), ("#dcdcdc", False, False)],
)
def test_title_bars_are_found(tmp_path: Path, band: str | None, button: bool, ok: bool) -> None:
    facts: dict[str, Any] = screen_judge.analyse(
        draw(tmp_path, band=band, button=button, header_button_y=13)
    )
    report = screen_judge.Report()
    screen_judge.judge("kiosk", facts, report)
    title = [line["ok"] for line in report.lines if "title bar" in line["check"]]
    assert title == [ok], facts
