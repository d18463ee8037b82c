"""The widgets of the waiting-hall screen: labels that skip needless repaints, the banner
that flashes a call, the scrolling notice line; the colours and the font."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .calls import CallView
from .model import IDLE_TEXT

FONT_FAMILY = "Noto Sans CJK SC"
BG = "#0b2545"
PANEL = "#13315c"
TEXT = "#ffffff"
DIM = "#9fb3c8"
ACCENT = "#ffd54f"
FLASH_BG = "#c62828"
NOTICE_BG = "#061a33"

PaintHook = Callable[[str], None]


def font(px: int, bold: bool = False) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def fitting_px(lines: Sequence[str], base_px: int, bold: bool, width: float, least: int) -> int:
    """The largest pixel size up to `base_px` (not under `least`) at which every line is at
    most `width` wide. Text width grows with the size, so one measure at `base_px` and a
    check downwards (rounding) is enough."""
    widest = max((QFontMetrics(font(base_px, bold)).horizontalAdvance(t) for t in lines), default=0)
    if widest <= width or widest <= 0:
        return base_px
    px = max(least, int(base_px * width / widest))
    while (
        px > least and max(QFontMetrics(font(px, bold)).horizontalAdvance(t) for t in lines) > width
    ):
        px -= 1
    return px


class Label(QLabel):
    """A label that ignores a text or style it already has (no needless repaint).

    With `fit`, a text wider than the label is drawn smaller (down to half its size) rather
    than widening the window, and only past that ends in "…"; `full` is always the whole
    text.
    """

    def __init__(
        self, px: int, *, bold: bool = False, color: str = TEXT, fit: bool = False
    ) -> None:
        super().__init__()
        self.base_px = px
        self._bold = bold
        self.setFont(font(px, bold))
        self.full = ""
        self._fit = fit
        self._style = ""
        self.set_style(f"color: {color};")
        if fit:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_text(self, text: str) -> None:
        if text != self.full:
            self.full = text
            self._show()

    def set_style(self, style: str) -> None:
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)

    def _show(self) -> None:
        text = self.full
        room = self.contentsRect().width()
        if self._fit and room > 1:
            px = fitting_px([text], self.base_px, self._bold, room, max(1, self.base_px // 2))
            if px != self.font().pixelSize():
                self.setFont(font(px, self._bold))
            text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self._show()


class Banner(Label):
    """The current call, large, or the idle sentence, smaller and dim. `painted` is told
    the key of what it just drew (bench).

    In portrait the sentence takes two lines ("请 A012 号" / "到 3 号窗口", and the idle
    sentence at its comma); a long counter name makes the font smaller (down to a third)
    rather than break a word or run off the screen. `lines` are the lines as drawn.
    """

    IDLE_SCALE = 0.5  # the idle sentence, relative to a call

    def __init__(self, px: int, *, two_lines: bool) -> None:
        super().__init__(px, bold=True)
        self.two_lines = two_lines
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.key = ""
        self.plain = ""
        self.painted: PaintHook | None = None
        self.lines: list[str] = []
        self._size = px
        self._call: CallView | None = None
        self._recall = False

    def show_call(self, call: CallView | None, flash_on: bool, idle_text: str = "") -> None:
        if call is None:
            idle = idle_text or IDLE_TEXT
            self.key, self.plain = "", idle
            head, comma, rest = idle.partition("，")
            lines = [head + comma, rest] if self.two_lines and rest else [idle]
            style = f"background: {BG}; border-radius: 12px;"
            size = round(self.base_px * self.IDLE_SCALE)
            recall = False
        else:
            self.key, self.plain = f"{call.number}#{call.seq}", call.sentence
            bg = FLASH_BG if flash_on else PANEL
            style = f"background: {bg}; color: {TEXT}; border-radius: 12px;"
            place = f"到 {call.place}" + (" 重呼" if call.recall else "")
            who = call.number + (f" {call.masked_name}" if call.masked_name else "")
            lines = [f"请 {who} 号", place] if self.two_lines else [f"请 {who} 号 {place}"]
            size, recall = self.base_px, call.recall
        self.lines, self._size, self._call = lines, size, call
        self._recall = recall
        self.set_style(style)
        self._fit_lines()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_lines()

    def _show(self) -> None:  # rich text: never elided, fitted by _fit_lines
        if self.full != self.text():
            self.setText(self.full)

    def _html(self, px: int) -> str:
        call = self._call
        if call is None:
            return f'<span style="color:{DIM}">{"<br>".join(escape(t) for t in self.lines)}</span>'
        number = f'<span style="color:{ACCENT}">{escape(call.number)}</span>'
        who = number + (f" {escape(call.masked_name)}" if call.masked_name else "")
        small = max(1, round(px * 0.45))
        recall = f'<span style="font-size:{small}px"> 重呼</span>' if self._recall else ""
        first, second = f"请 {who} 号", f"到 {escape(call.place)}{recall}"
        return f"{first}<br>{second}" if self.two_lines else f"{first} {second}"

    def _fit_lines(self) -> None:
        """The largest font up to the text's size at which every line fits the width and
        all lines the height; then the text, drawn at that size."""
        room = self.contentsRect()
        px = self.font().pixelSize()
        if room.width() > 1 and self.lines:
            px = fitting_px(self.lines, self._size, True, room.width() * 0.94, self.base_px // 3)
            spacing = QFontMetrics(font(px, True)).lineSpacing()
            while px > self.base_px // 3 and spacing * len(self.lines) > room.height():
                px -= 1
                spacing = QFontMetrics(font(px, True)).lineSpacing()
            if px != self.font().pixelSize():
                self.setFont(font(px, True))
        self.set_text(self._html(px))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.painted is not None and self.key:
            self.painted(self.key)


class Marquee(QWidget):
    """The hall's notice line, scrolling right to left when it is wider than the screen."""

    STEP_MS = 40

    def __init__(self, px: int, speed_px_s: float) -> None:
        super().__init__()
        self.setFont(font(px))
        self.text = ""
        self._offset = 0.0
        self._step = speed_px_s * self.STEP_MS / 1000
        self._timer = QTimer(self)
        self._timer.setInterval(self.STEP_MS)
        self._timer.timeout.connect(self._advance)

    def set_notice(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        self._offset = 0.0
        self._update_timer()
        self.update()

    def _text_width(self) -> int:
        return QFontMetrics(self.font()).horizontalAdvance(self.text)

    def _update_timer(self) -> None:
        scrolling = bool(self.text) and self._text_width() > self.width()
        if scrolling and not self._timer.isActive():
            self._timer.start()
        elif not scrolling:
            self._timer.stop()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_timer()

    def _advance(self) -> None:
        self._offset += self._step
        if self._offset > self._text_width() + self.width():
            self._offset = 0.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self.text:
            painter.end()
            return  # the window's background shows through
        painter.fillRect(self.rect(), QColor(NOTICE_BG))
        painter.setPen(QColor(ACCENT))
        rect = QRectF(self.rect())
        if self._timer.isActive():
            rect.translate(self.width() - self._offset, 0)
            rect.setWidth(self._text_width() + 4)
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, self.text)
        else:
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()
