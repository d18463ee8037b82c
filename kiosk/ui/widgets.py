"""Small reusable widgets: text that wraps at sensible places, big buttons, keypads, tiles.

``Text`` never lets Qt wrap or elide: it breaks its lines itself by the rules of
drivers.printer.linebreak ("对准扫描口，" stays whole), measured with the font it is drawn
with, and tells the layout how tall it gets at a width (height-for-width). ``text()`` gives
the text as set; ``shown()`` the lines as drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QEvent, QMargins, QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from drivers.printer import linebreak


class Text(QLabel):
    def __init__(self, name: str = "", *, wrap: bool = True, center: bool = False) -> None:
        super().__init__()
        if name:
            self.setObjectName(name)
        self._raw = ""
        self._wrap = wrap
        self._cache: dict[tuple[str, int, str], list[str]] = {}
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(wrap)
        self.setSizePolicy(policy)
        if center:
            self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def setText(self, text: str) -> None:
        if text != self._raw:
            self._raw = text
            self._relayout()
            self.updateGeometry()

    def text(self) -> str:
        return self._raw

    def shown(self) -> str:
        return super().text()

    def lines(self, width: int) -> list[str]:
        """The lines drawn at a text width of ``width`` pixels."""
        self.ensurePolished()
        font = self.font()
        key = (self._raw, width if self._wrap else -1, font.key())
        if key not in self._cache:
            metrics = QFontMetrics(font)
            out: list[str] = []
            for para in self._raw.split("\n"):
                if self._wrap and width > 0:
                    out += linebreak.wrap(para, lambda s: metrics.horizontalAdvance(s) <= width)
                else:
                    out.append(para)
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = out
        return self._cache[key]

    def _relayout(self) -> None:
        shown = "\n".join(self.lines(self.contentsRect().width()))
        if shown != super().text():
            super().setText(shown)

    def _extra(self) -> tuple[int, int]:
        m = self.contentsMargins()
        return m.left() + m.right(), m.top() + m.bottom()

    def _height(self, lines: int) -> int:
        metrics = QFontMetrics(self.font())
        return max(1, lines) * metrics.lineSpacing()

    def hasHeightForWidth(self) -> bool:
        return self._wrap

    def heightForWidth(self, width: int) -> int:
        dx, dy = self._extra()
        return self._height(len(self.lines(width - dx))) + dy

    def sizeHint(self) -> QSize:
        self.ensurePolished()
        metrics = QFontMetrics(self.font())
        dx, dy = self._extra()
        paras = self._raw.split("\n")
        width = max(metrics.horizontalAdvance(p) for p in paras) + dx
        return QSize(width, self._height(len(self.lines(width - dx))) + dy)

    def minimumSizeHint(self) -> QSize:
        if not self._wrap:
            return self.sizeHint()
        self.ensurePolished()
        metrics = QFontMetrics(self.font())
        dx, dy = self._extra()
        pieces = [u for para in self._raw.split("\n") for u in linebreak.units(para)]
        narrowest = max(metrics.horizontalAdvance(u) for u in pieces)
        return QSize(narrowest + dx, self._height(1) + dy)

    def width_for_lines(self, most: int) -> int:
        """The narrowest width (margins included) at which the text takes at most ``most``
        lines of its own (or the narrowest it can be, if it never does)."""
        dx = self._extra()[0]
        low = self.minimumSizeHint().width() - dx
        high = self.sizeHint().width() - dx
        if not self._wrap or len(self.lines(low)) <= most:
            return (high if not self._wrap else low) + dx
        while high - low > 1:  # lines(low) > most >= lines(high)
            mid = (low + high) // 2
            if len(self.lines(mid)) <= most:
                high = mid
            else:
                low = mid
        return high + dx

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._relayout()
            self.updateGeometry()
            parent = self.parentWidget()
            if isinstance(parent, TextButton):
                parent.words_changed()


class TextButton(QPushButton):
    """A button whose words are ``Text`` lines (a title, and a smaller detail line for a
    service tile), so a long English label wraps instead of being cut."""

    def __init__(self, name: str, on_click: Callable[[], None], role: str = "") -> None:
        super().__init__()
        self.setObjectName(name)
        if role:
            self.setProperty("role", role)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # scanners never type into a button
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.clicked.connect(lambda _checked=False: on_click())
        self.title = self._add(Text("button-text", center=role not in ("service", "title")))
        self.detail: Text | None = None

    def _add(self, label: Text) -> Text:  # the words, drawn inside the button's padding
        label.setParent(self)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        return label

    def add_detail(self) -> Text:
        self.detail = self._add(Text("button-detail"))
        self._place()
        return self.detail

    def setText(self, text: str) -> None:
        self.set_texts(text, self.detail.text() if self.detail is not None else "")

    def set_texts(self, title: str, detail: str) -> None:
        before = self.text()
        self.title.setText(title)
        if self.detail is not None:
            self.detail.setText(detail)
        if self.text() != before:  # the words are not in a layout: tell the button's own
            self.words_changed()

    def text(self) -> str:
        if self.detail is not None:
            return f"{self.title.text()}\n{self.detail.text()}"
        return self.title.text()

    def _labels(self) -> list[Text]:
        return [self.title] + ([self.detail] if self.detail is not None else [])

    def _option(self) -> QStyleOptionButton:
        self.ensurePolished()
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        return opt

    def _margins(self) -> QMargins:
        """The style sheet's border and padding around the words."""
        opt = self._option()
        inner = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self)
        outer = self.rect()
        return QMargins(
            inner.left() - outer.left(),
            inner.top() - outer.top(),
            outer.right() - inner.right(),
            outer.bottom() - inner.bottom(),
        )

    def _around(self, words: QSize) -> QSize:
        """The button's size around ``words`` (padding, border, min-height of the sheet)."""
        return self.style().sizeFromContents(
            QStyle.ContentsType.CT_PushButton, self._option(), words, self
        )

    def _words(self, sizes: list[QSize]) -> QSize:
        return QSize(max(s.width() for s in sizes), sum(s.height() for s in sizes))

    def sizeHint(self) -> QSize:
        return self._around(self._words([lab.sizeHint() for lab in self._labels()]))

    def minimumSizeHint(self) -> QSize:
        return self._around(self._words([lab.minimumSizeHint() for lab in self._labels()]))

    def width_for_lines(self, most: int) -> int:
        """The narrowest button whose words take at most ``most`` lines each."""
        words = max(lab.width_for_lines(most) for lab in self._labels())
        return self._around(QSize(words, self.title.heightForWidth(words))).width()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        m = self._margins()
        inner = width - m.left() - m.right()
        words = QSize(inner, sum(lab.heightForWidth(inner) for lab in self._labels()))
        return self._around(words).height()

    def words_changed(self) -> None:
        self._place()
        self.updateGeometry()

    def _place(self) -> None:
        """The words inside the padding, centred as one block (a tile's at the top)."""
        m = self._margins()
        inner = self.rect().marginsRemoved(m)
        heights = [lab.heightForWidth(inner.width()) for lab in self._labels()]
        top = inner.top()
        if self.property("role") != "service":
            top += max(0, (inner.height() - sum(heights)) // 2)
        for lab, height in zip(self._labels(), heights, strict=True):
            lab.setGeometry(inner.left(), top, inner.width(), min(height, inner.bottom() - top + 1))
            top += height

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange, QEvent.Type.Polish):
            self._place()
        return handled


def button(text: str, name: str, on_click: Callable[[], None], role: str = "") -> TextButton:
    b = TextButton(name, on_click, role)
    b.setText(text)
    return b


def key_button(text: str, name: str, on_click: Callable[[], None]) -> QPushButton:
    """A keypad key: one short label, never wrapped."""
    b = QPushButton(text)
    b.setObjectName(name)
    b.setProperty("role", "key")
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.clicked.connect(lambda _checked=False: on_click())
    return b


def label(text: str = "", name: str = "", *, wrap: bool = True, center: bool = False) -> Text:
    lab = Text(name, wrap=wrap, center=center)
    lab.setText(text)
    return lab


def discard(widget: QWidget) -> None:
    """Take ``widget`` off the screen now and delete it once Qt is back in its loop."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def set_active(b: QPushButton, active: bool) -> None:
    value = "true" if active else "false"
    if b.property("active") == value:
        return
    b.setProperty("active", value)
    for w in (b, *b.findChildren(QLabel)):
        w.style().unpolish(w)
        w.style().polish(w)


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


class Columns:
    """Places widgets in a grid with as many columns as fit a width (tabs, tiles)."""

    def __init__(self, grid: QGridLayout, most: int = 8) -> None:
        self.grid = grid
        self.most = most
        self.widgets: list[QWidget] = []
        self._placed: tuple[int, int] = (0, 0)

    def set(self, widgets: list[QWidget]) -> None:
        self.widgets = widgets
        self._placed = (0, 0)

    def place(self, width: int, cell: int) -> None:
        """Lay out for ``width`` pixels, each column at least ``cell`` wide."""
        spacing = max(0, self.grid.spacing())
        columns = max(1, min(self.most, (width + spacing) // max(1, cell + spacing)))
        if (columns, len(self.widgets)) == self._placed:
            return
        for i, w in enumerate(self.widgets):
            self.grid.addWidget(w, i // columns, i % columns)
        for c in range(self.most):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        rows = -(-len(self.widgets) // columns)
        for r in range(max(self.grid.rowCount(), rows + 1)):
            self.grid.setRowStretch(r, 1 if r == rows else 0)  # rows at the top, room below
        self._placed = (columns, len(self.widgets))


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
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", extra[0][0], "0", extra[1][0]]
        labels = dict(extra)
        for i, key in enumerate(keys):
            b = key_button(labels.get(key, key), f"{prefix}-{key}", partial(on_key, key))
            self.buttons[key] = b
            grid.addWidget(b, i // 3, i % 3)

    def relabel(self, labels: dict[str, str]) -> None:
        for key, text in labels.items():
            if key in self.buttons:
                self.buttons[key].setText(text)


class LetterKeyboard(QWidget):
    """A–Z in three rows plus delete and clear: the search types pinyin initials."""

    ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")

    def __init__(self, on_key: Callable[[str], None]) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for r, row in enumerate(self.ROWS):
            for c, letter in enumerate(row):
                b = key_button(letter, f"letter-{letter}", partial(on_key, letter))
                b.setProperty("role", "letter")
                self.buttons[letter] = b
                grid.addWidget(b, r, c)
        for key, col in (("delete", 7), ("clear", 8)):
            b = key_button(key, f"letter-{key}", partial(on_key, key))
            b.setProperty("role", "letter")
            self.buttons[key] = b
            grid.addWidget(b, 2, col, 1, 1 if key == "delete" else 2)


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            discard(widget)
