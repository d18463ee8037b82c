"""The widgets of the waiting-hall screen: labels that skip needless repaints, the banner
that flashes a call, the scrolling notice line; the colours and the font."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .calls import CallView

FONT_FAMILY = "Noto Sans CJK SC"
BG = "#0b2545"
PANEL = "#13315c"
TEXT = "#ffffff"
DIM = "#9fb3c8"
ACCENT = "#ffd54f"
FLASH_BG = "#c62828"
NOTICE_BG = "#061a33"
IDLE_TEXT = "请留意叫号信息，过号请到服务台"

PaintHook = Callable[[str], None]


def font(px: int, bold: bool = False) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPixelSize(px)
    f.setBold(bold)
    return f


class Label(QLabel):
    """A label that ignores a text or style it already has (no needless repaint).

    With `elide`, a text wider than the label ends in "…" instead of widening the window;
    `full` is always the whole text.
    """

    def __init__(
        self, px: int, *, bold: bool = False, color: str = TEXT, elide: bool = False
    ) -> None:
        super().__init__()
        self.setFont(font(px, bold))
        self.full = ""
        self._elide = elide
        self._style = ""
        self.set_style(f"color: {color};")
        if elide:
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
        if self._elide and self.width() > 1:
            text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.width())
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._elide:
            self._show()


class Banner(Label):
    """The current call, large. `painted` is told the key of what it just drew (bench).

    In portrait the sentence takes two lines ("请 A012 号" / "到 3 号窗口"); a long counter
    name makes the font smaller (down to half) rather than break a word.
    """

    def __init__(self, px: int, *, two_lines: bool) -> None:
        super().__init__(px, bold=True)
        self.base_px = px
        self.two_lines = two_lines
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.key = ""
        self.plain = ""
        self.painted: PaintHook | None = None
        self._lines: list[str] = []

    def show_call(self, call: CallView | None, flash_on: bool) -> None:
        if call is None:
            self.key, self.plain = "", IDLE_TEXT
            html = f'<span style="color:{DIM}; font-size:50%">{IDLE_TEXT}</span>'
            style = f"background: {BG}; border-radius: 12px;"
            lines = [IDLE_TEXT[: len(IDLE_TEXT) // 2]]
        else:
            self.key, self.plain = f"{call.number}#{call.seq}", call.sentence
            number = f'<span style="color:{ACCENT}">{escape(call.number)}</span>'
            who = number + (f" {escape(call.masked_name)}" if call.masked_name else "")
            recall = '<span style="font-size:45%"> 重呼</span>' if call.recall else ""
            first, second = f"请 {who} 号", f"到 {escape(call.place)}{recall}"
            html = f"{first}<br>{second}" if self.two_lines else f"{first} {second}"
            bg = FLASH_BG if flash_on else PANEL
            style = f"background: {bg}; color: {TEXT}; border-radius: 12px;"
            place = f"到 {call.place}" + (" 重呼" if call.recall else "")
            lines = [f"请 {call.number} 号", place] if self.two_lines else [call.sentence]
        self._fit(lines)
        self.set_text(html)
        self.set_style(style)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(self._lines)

    def _fit(self, lines: list[str]) -> None:
        """The largest font up to `base_px` at which every line fits the width."""
        self._lines = lines
        room = self.width() * 0.94
        if room <= 1:
            return
        wide = QFontMetrics(font(self.base_px, True))
        widest = max((wide.horizontalAdvance(line) for line in lines), default=0)
        px = (
            self.base_px
            if widest <= room
            else max(self.base_px // 2, int(self.base_px * room / widest))
        )
        if px != self.font().pixelSize():
            self.setFont(font(px, True))

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
