"""The kiosk demo's hands (kiosk.demo): press a running kiosk's buttons, wait for what
follows, save what the screen shows.

Every step waits for its condition, not for a time: on an idle box a step takes well under a
second, on a slow or busy one as long as it needs, up to ``STEP_S``. A step that does not
happen by then stops the capture with ``CaptureFailed`` naming it: a capture that returns has
every screen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.printer import SimulatedPrinter
from hall.bus.interface import Bus
from kiosk.flow.router import Screen

STEP_S = 60.0
"""The longest one step may take before the capture fails (generous: a loaded box)."""


class CaptureFailed(RuntimeError):
    """The kiosk did not do what the demo asked, so a screen is missing."""


class HeldPrinter(SimulatedPrinter):
    """The demo's printer: once ``hold`` is cleared, the job that would stall it waits until
    it is set again (a printer slow to take the job, then hung), so that the busy screen of a
    print stays while its pictures are taken, however slow the box."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold = threading.Event()
        self.hold.set()

    def receive(self, data: bytes) -> bytes:
        limit = self.faults.stall_after
        if limit is not None and len(self.received) + len(data) > limit:
            self.hold.wait(STEP_S)
        return super().receive(data)


class Driver:
    """Presses buttons of a running kiosk and waits for what follows."""

    def __init__(
        self, app: Any, kiosk: Any, screens: Path, bus_factory: Callable[[str, str], Bus]
    ) -> None:
        self.app = app
        self.bus_factory = bus_factory
        self.k = kiosk
        self.m = kiosk.model
        self.screens = screens
        self.paths: list[Path] = []
        self.shots: set[str] = set()
        self.no_occasion: set[str] = set()  # screens this run cannot show (said why, in flows)

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while True:
            self.app.processEvents()
            if time.monotonic() >= end:
                return
            time.sleep(0.005)

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = STEP_S) -> None:
        """Until ``cond()``; ``CaptureFailed`` naming ``what`` if it is not by ``timeout``."""
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise CaptureFailed(
                    f"kiosk demo: no {what} within {timeout:g} s "
                    f"(the kiosk shows {self.m.screen.value})"
                )
            self.pump(0.01)
        self.pump(0.03)

    def click(self, name: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QPushButton

        def visible() -> list[Any]:
            for root in (self.k.window.view(), self.k.window):
                found = [
                    b
                    for b in root.findChildren(QPushButton, name)
                    if b.isVisible() and b.isEnabled()
                ]
                if found:
                    return found
            return []

        self.wait(lambda: bool(visible()), f"button {name!r} to press")
        QTest.mouseClick(visible()[0], Qt.MouseButton.LeftButton)
        self.pump(0.02)

    def screen(self, screen: Screen) -> None:
        self.wait(lambda: self.m.screen is screen, f"{screen.value} screen")

    def outcome(self, screen: Screen) -> None:
        """The busy screen over, the kiosk must show ``screen`` (not a refusal)."""
        self.wait(lambda: self.m.screen is not Screen.BUSY, "end of the busy screen")
        if self.m.screen is not screen:
            raise CaptureFailed(
                f"kiosk demo: the {screen.value} screen expected, the kiosk shows "
                f"{self.m.screen.value} ({self.m.results.outcome!r})"
            )

    def shot(self, name: str) -> None:
        path = self.screens / f"kiosk-{name}.png"
        self.pump(0.02)
        if not self.k.window.grab().save(str(path)):
            raise CaptureFailed(f"kiosk demo: could not save {path}")
        self.paths.append(path)
        self.shots.add(name)

    def both(self, name: str) -> None:
        """The screen shown in the standard mode, then in the elder mode (长辈模式)."""
        self.shot(name)
        self.click("elder")
        self.shot(f"{name}-elder")
        self.click("elder")
