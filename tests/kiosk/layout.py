"""What a citizen would see wrong on a kiosk screen, measured: a widget outside the window or
its parent, text cut off, or a line broken inside a word.

Text is measured with QFontMetrics of the widget's own font against its contents rect. A
``Text`` label breaks its own lines; every break must be at a place drivers.printer.
linebreak allows (after a mark or space, between Chinese and Latin, never inside a KEEP
word such as 扫描口, never leaving one character alone).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QPushButton, QScrollArea, QWidget

from drivers.printer import linebreak
from kiosk.ui.widgets import Text, TextButton


def _name(w: QWidget) -> str:
    text = ""
    if isinstance(w, (Text | TextButton, QLabel | QPushButton)):
        text = w.text()
    text = text.replace("\n", " / ")[:40]
    return f"{type(w).__name__}#{w.objectName() or '-'} '{text}'"


def _scroll_content(w: QWidget) -> QScrollArea | None:
    """The scroll area whose content ``w`` is part of, if any."""
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QScrollArea) and p.widget() is not None and p.widget().isAncestorOf(w):
            return p
        p = p.parentWidget()
    return None


def _rect_in(w: QWidget, root: QWidget) -> QRect:
    return QRect(w.mapTo(root, QPoint(0, 0)), w.size())


def breaks_ok(raw: str, shown: list[str]) -> str | None:
    """None when ``shown`` (the drawn lines) breaks ``raw`` only at allowed places."""
    lines = iter(shown)
    for para in raw.split("\n"):
        text = " ".join(para.split())
        if not text:
            if (next(lines, "") or "").strip() != "":
                return f"text shown for the empty line of {raw!r}"
            continue
        pos = 0
        while True:
            line = next(lines, None)
            if line is None:
                return f"lines missing for {para!r}"
            if not text.startswith(line, pos):
                return f"line {line!r} is not the text at {pos} of {text!r}"
            pos += len(line)
            while pos < len(text) and text[pos] == " ":
                pos += 1
            if pos >= len(text):
                break
            good = pos in linebreak.good_breaks(text) or linebreak.last_resort_ok(text, pos)
            if not good:
                return f"broken mid-word: {text[:pos]!r} / {text[pos:]!r}"
    return None


def _text_problems(lab: Text) -> list[str]:
    out = []
    metrics = QFontMetrics(lab.font())
    inner = lab.contentsRect()
    shown = lab.shown().split("\n")
    for line in shown:
        if metrics.horizontalAdvance(line) > inner.width() + 1:
            out.append(f"{_name(lab)}: line {line!r} wider than {inner.width()} px (cut off)")
    if len(shown) * metrics.lineSpacing() > inner.height() + 2:
        out.append(
            f"{_name(lab)}: {len(shown)} lines need {len(shown) * metrics.lineSpacing()} px, "
            f"has {inner.height()} (cut off)"
        )
    why = breaks_ok(lab.text(), shown)
    if why:
        out.append(f"{_name(lab)}: {why}")
    return out


def problems(window: QWidget, size: tuple[int, int]) -> list[str]:
    out: list[str] = []
    if (window.width(), window.height()) != size:
        out.append(f"window is {window.width()}x{window.height()}, not {size[0]}x{size[1]}")
    whole = window.rect()
    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window) or w.isWindow():
            continue
        rect = _rect_in(w, window)
        area = _scroll_content(w)
        if area is None:
            if not whole.contains(rect):
                out.append(f"{_name(w)} at {rect.getRect()} is outside the window")
            parent = w.parentWidget()
            if (
                parent is not None
                and parent is not window
                and not isinstance(parent.parentWidget(), QAbstractScrollArea)
                and not parent.rect().contains(w.geometry())
            ):
                out.append(f"{_name(w)} sticks out of {_name(parent)}")
        else:
            view = _rect_in(area.viewport(), window)
            if rect.left() < view.left() or rect.right() > view.right():
                out.append(f"{_name(w)} is wider than its scrolling list")
            content = area.widget()
            hidden = content.height() > area.viewport().height() + 1
            if hidden and not area.verticalScrollBar().isVisible():
                out.append(f"{_name(content)} is cut off without a scroll bar")
        if isinstance(w, Text):
            out += _text_problems(w)
        elif isinstance(w, QPushButton) and not isinstance(w, TextButton):
            hint = w.sizeHint()
            if hint.width() > w.width() or hint.height() > w.height():
                out.append(f"{_name(w)} is {w.width()}x{w.height()}, needs {hint.toTuple()}")
        elif isinstance(w, QLabel) and w.text() and not w.wordWrap():
            wide = QFontMetrics(w.font()).horizontalAdvance(w.text())
            if wide > w.contentsRect().width() + 1:
                out.append(f"{_name(w)} is cut off")
    return out
