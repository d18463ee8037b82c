"""The screens of a ticket taken on a phone (云叫号): typing its number and the phone's last
four digits, and 签到成功. The words come from ``kiosk.present`` and the flow
(``kiosk.flow.arrival``); these views only put them into widgets."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout

from kiosk import present
from kiosk.model import KioskModel
from kiosk.outcomes import Arrived
from kiosk.ui.citizen import KeypadView, centred
from kiosk.ui.home import View
from kiosk.ui.style import Look
from kiosk.ui.widgets import Keypad, button, discard, key_button, label, set_active

LETTER_COLUMNS = (7, 13)  # landscape (beside the words), standing (under them)


def spaced(text: str) -> str:
    return " ".join(text)


class ArrivalView(KeypadView):
    """Left: what to type, the two fields (tap one to go back to it), a problem, the scan
    hint. Right: the letters this hall's numbers start with, the digits, 下一步 / 确认签到."""

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        a = model.arrival
        self.title = label("", "heading", center=True)
        self.hint = label("", "subheading", center=True)
        self.number = button("", "arrival-number", partial(a.focus, "number"), "field")
        self.tail = button("", "arrival-tail", partial(a.focus, "tail"), "field")
        self.error = label("", "error", center=True)
        self.scan = label("", "subheading", center=True)
        for w in (self.title, self.hint, self.number, self.tail, self.error, self.scan):
            self.left.addWidget(w)
        self.left.addStretch(1)
        self.back = button("", "back", model.home)
        self.left.addWidget(self.back)
        self.letter_grid = QGridLayout()
        self.letter_grid.setContentsMargins(0, 0, 0, 0)
        self.letters: dict[str, QPushButton] = {}
        self._columns = 0
        self.right.addLayout(self.letter_grid)
        self.keypad = Keypad("arrival", a.key)
        self.right.addWidget(self.keypad, 1)
        self.submit = button("", "arrival-submit", a.submit, "primary")
        self.right.addWidget(self.submit)

    def arrange(self) -> None:
        super().arrange()
        self._place_letters()

    def _make_letters(self, letters: list[str]) -> None:
        for b in self.letters.values():
            discard(b)
        self.letters = {}
        for letter in letters:
            b = key_button(letter, f"arrival-{letter}", partial(self.m.arrival.key, letter))
            b.setProperty("role", "letter")
            self.letters[letter] = b
        self._columns = 0
        self._place_letters()

    def _place_letters(self) -> None:
        columns = LETTER_COLUMNS[0 if self.look.landscape else 1]
        if columns == self._columns:
            return
        self._columns = columns
        for i, b in enumerate(self.letters.values()):
            self.letter_grid.addWidget(b, i // columns, i % columns)

    def redraw(self) -> None:
        r, a = self.r, self.m.arrival
        self.title.setText(r.text("arrival_title"))
        self.hint.setText(r.text("arrival_hint"))
        self.number.setText(f"{r.text('arrival_number')}  {spaced(a.number_shown())}")
        self.tail.setText(f"{r.text('arrival_tail')}  {spaced(a.tail_shown())}")
        set_active(self.number, a.field == "number")
        set_active(self.tail, a.field == "tail")
        self.error.setText(a.error)
        self.error.setVisible(bool(a.error))
        self.scan.setText(r.text("arrival_scan"))
        letters = a.letters()
        if letters != list(self.letters):
            self._make_letters(letters)
        for letter, b in self.letters.items():
            set_active(b, letter == a.letter)
        self.keypad.relabel({"delete": r.text("delete"), "clear": r.text("clear")})
        self.back.setText(r.text("back"))
        self.submit.setText(r.text("next" if a.field == "number" else "checkin_submit"))


class ArrivedView(View):
    """签到成功 (or 您已签到，请留意叫号): the number, the place in line, what to do now."""

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.caption = label("", "subheading", center=True)
        self.number = label("", "number", wrap=False, center=True)
        self.ahead = label("", "big", center=True)
        self.wait = label("", "big", center=True)
        self.text = label("", "subheading", center=True)
        centred(lay, [self.title, self.caption, self.number, self.ahead, self.wait, self.text])
        self.home = button("", "home", model.home, "primary")
        lay.addWidget(self.home)

    def redraw(self) -> None:
        r, outcome = self.r, self.m.results.outcome
        if not isinstance(outcome, Arrived):
            return
        shown = present.arrived(r, self.m.hall, outcome)
        self.title.setText(shown.title)
        self.caption.setText(r.text("your_number"))
        self.number.setText(shown.number)
        self.ahead.setText(shown.ahead)
        self.ahead.setVisible(bool(shown.ahead))
        self.wait.setText(shown.wait)
        self.wait.setVisible(bool(shown.wait))
        self.text.setText(shown.text)
        self.home.setText(r.text("home"))
