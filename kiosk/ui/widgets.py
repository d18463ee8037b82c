"""Small reusable widgets: big buttons, keypads, a service tile, QR pixmaps."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import partial

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


def button(text: str, name: str, on_click: Callable[[], None], role: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    if role:
        b.setProperty("role", role)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # scanners never type into a button
    b.clicked.connect(lambda _checked=False: on_click())
    return b


def label(text: str = "", name: str = "", *, wrap: bool = True, center: bool = False) -> QLabel:
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    lab.setWordWrap(wrap)
    if center:
        lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


def discard(widget: QWidget) -> None:
    """Take ``widget`` off the screen now and delete it once Qt is back in its loop."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def set_active(b: QPushButton, active: bool) -> None:
    b.setProperty("active", "true" if active else "false")
    b.style().unpolish(b)
    b.style().polish(b)


class Tile(QPushButton):
    """A big button with a wrapped title line and a smaller second line."""

    def __init__(self, name: str, on_click: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setProperty("role", "service")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.clicked.connect(lambda _checked=False: on_click())
        box = QVBoxLayout(self)
        self.title = label("", "tile-title")
        self.detail = label("", "tile-detail")
        for lab in (self.title, self.detail):
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            box.addWidget(lab)

    def set_texts(self, title: str, detail: str) -> None:
        self.title.setText(title)
        self.detail.setText(detail)

    def text(self) -> str:
        return f"{self.title.text()}\n{self.detail.text()}"


def scrolling(inner: QWidget) -> QScrollArea:
    """``inner`` in a frameless vertical scroll area with a wide bar for a finger.

    (QScroller's drag-to-scroll was tried: it swallows taps on a scrollable area, and elders
    find a wide bar easier than a flick.)"""
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class Keypad(QWidget):
    """A 3x4 keypad: digits, and two extra keys (names and labels) in the bottom row."""

    def __init__(
        self,
        prefix: str,
        on_key: Callable[[str], None],
        extra: Sequence[tuple[str, str]] = (("delete", "删除"), ("clear", "清除")),
    ) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", extra[0][0], "0", extra[1][0]]
        labels = dict(extra)
        for i, key in enumerate(keys):
            b = button(labels.get(key, key), f"{prefix}-{key}", partial(on_key, key), "key")
            self.buttons[key] = b
            grid.addWidget(b, i // 3, i % 3)

    def relabel(self, labels: dict[str, str]) -> None:
        for key, text in labels.items():
            if key in self.buttons:
                self.buttons[key].setText(text)


class LetterKeyboard(QWidget):
    """A–Z in three rows plus delete and clear, for pinyin-initial search."""

    ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")

    def __init__(self, on_key: Callable[[str], None]) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setSpacing(8)
        self.buttons: dict[str, QPushButton] = {}
        for r, row in enumerate(self.ROWS):
            for c, letter in enumerate(row):
                b = button(letter, f"letter-{letter}", partial(on_key, letter), "key")
                self.buttons[letter] = b
                grid.addWidget(b, r, c)
        for key, col in (("delete", 7), ("clear", 8)):
            b = button(key, f"letter-{key}", partial(on_key, key), "key")
            self.buttons[key] = b
            grid.addWidget(b, 2, col, 1, 1 if key == "delete" else 2)


def qr_pixmap(payload: str, size: int) -> QPixmap:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(payload)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image().get_image().save(buf, format="PNG")
    pix = QPixmap()
    pix.loadFromData(buf.getvalue(), "PNG")
    return pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)
