"""The kiosk on screen (Qt offscreen) against a real hub: ``Screen_`` finds, touches and
reads what a kiosk started by the ``make_kiosk`` fixture (conftest.py) shows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk.model import Screen
from kiosk.ui.app import Kiosk


class Screen_:
    """Finding, touching and reading what a kiosk shows."""

    def __init__(self, qtbot: Any, kiosk: Kiosk, shots: Path) -> None:
        self.qtbot = qtbot
        self.k = kiosk
        self.shots = shots
        self.touch_device = QTest.createTouchDevice()

    @property
    def m(self) -> Any:
        return self.k.model

    def find(self, name: str) -> QPushButton:
        for root in (self.k.window.view(), self.k.window):
            found = [b for b in root.findChildren(QPushButton, name) if b.isVisible()]
            if found:
                return found[0]
        raise AssertionError(f"no visible button {name!r} on {self.m.screen}")

    def click(self, name: str) -> None:
        QTest.mouseClick(self.find(name), Qt.MouseButton.LeftButton)
        QTest.qWait(10)  # new widgets are shown from the event loop

    def touch(self, name: str) -> None:
        """A finger on the button: a touch press and release (Qt makes the click of it)."""
        button = self.find(name)
        window = self.k.window.windowHandle()
        pos = button.mapTo(self.k.window, button.rect().center())
        QTest.touchEvent(window, self.touch_device).press(0, pos).commit()
        QTest.touchEvent(window, self.touch_device).release(0, pos).commit()
        QTest.qWait(30)

    def wait_for(self, screen: Screen, timeout: int = 20_000) -> None:
        self.qtbot.waitUntil(lambda: self.m.screen is screen, timeout=timeout)
        QTest.qWait(20)

    def labels(self) -> list[str]:
        view = self.k.window.view()
        return [lab.text() for lab in view.findChildren(QLabel) if lab.isVisible()]

    def shown(self) -> str:
        buttons = [b.text() for b in self.k.window.findChildren(QPushButton) if b.isVisible()]
        return "\n".join(self.labels() + buttons)

    def technician_login(self, pin: str = "2468") -> None:
        """Five taps on the hall's name, the PIN, OK: the technician's screen."""
        for _ in range(5):
            self.click("title")
        for digit in pin:
            self.click(f"pin-{digit}")
        self.click("pin-ok")
        self.wait_for(Screen.TECH)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.k.window.grab().save(str(path))
        assert path.stat().st_size > 10_000
        return path
