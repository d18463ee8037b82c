"""The citizen's screens after home: priority, busy, ticket, failed print, refusal, check-in,
closed, offline. Each puts ``kiosk.present``'s words into widgets and calls the flows."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QBoxLayout, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk import present
from kiosk.model import KioskModel
from kiosk.outcomes import Issued, PrintFailed
from kiosk.services import hours_lines
from kiosk.ui.home import View
from kiosk.ui.style import Look
from kiosk.ui.widgets import Keypad, TextButton, button, label


def centred(lay: QVBoxLayout, widgets: list[QWidget]) -> None:
    lay.addStretch(1)
    for w in widgets:
        lay.addWidget(w)
    lay.addStretch(1)


class PriorityView(View):
    KEYS = ("normal", "elderly", "disability", "pregnancy")

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.service = label("", "subheading", center=True)
        self.title = label("", "heading", center=True)
        self.note = label("", "big", center=True)
        for w in (self.service, self.title, self.note):
            lay.addWidget(w)
        lay.addStretch(1)
        grid = QGridLayout()
        self.buttons: dict[str, TextButton] = {}
        for i, key in enumerate(self.KEYS):
            role = "primary" if key == "normal" else "green"
            b = button("", f"priority-{key}", partial(model.tickets.pick_priority, key), role)
            self.buttons[key] = b
            if key == "normal":
                grid.addWidget(b, 0, 0, 1, 3)
            else:
                grid.addWidget(b, 1, i - 1)
        lay.addLayout(grid)
        lay.addStretch(1)
        self.back = button("", "back", model.home)
        lay.addWidget(self.back)

    def redraw(self) -> None:
        r, service = self.r, self.m.tickets.service
        self.service.setText(present.service_name(r, service) if service else "")
        self.title.setText(r.text("priority_title"))
        self.note.setText(r.text("priority_note"))
        for key, b in self.buttons.items():
            b.setText(r.text(f"priority_{key}"))
        self.back.setText(r.text("back"))


class BusyView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        self.text = label("", "heading", center=True)
        centred(QVBoxLayout(self), [self.text])

    def redraw(self) -> None:
        self.text.setText(self.r.text(self.r.busy_key))


class TicketView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.caption = label("", "subheading", center=True)
        self.number = label("", "number", wrap=False, center=True)
        self.service = label("", "big", center=True)
        self.ahead = label("", "big", center=True)
        self.wait = label("", "big", center=True)
        self.timing = label("", "banner", center=True)
        self.watch = label("", "subheading", center=True)
        centred(
            lay,
            [
                self.title,
                self.caption,
                self.number,
                self.service,
                self.ahead,
                self.wait,
                self.timing,
                self.watch,
            ],
        )
        self.home = button("", "home", model.home, "primary")
        lay.addWidget(self.home)

    def redraw(self) -> None:
        r, outcome = self.r, self.m.results.outcome
        if not isinstance(outcome, Issued):
            return
        shown = present.ticket(r, outcome.ticket)
        self.title.setText(r.text("take_your_ticket"))
        self.caption.setText(r.text("your_number"))
        self.number.setText(shown.number)
        self.service.setText(shown.service)
        self.ahead.setText(shown.ahead)
        self.wait.setText(shown.wait)
        self.wait.setVisible(bool(shown.wait))
        self.timing.setText(shown.timing)
        self.timing.setVisible(bool(shown.timing))
        self.watch.setText(shown.watch)
        self.home.setText(r.text("home"))


class FailedView(View):
    """A failed print. Voided: 此号已作废 first and largest, the number small as a cancelled
    one, where to go; no QR code. Kept for reprint: the number, and to ask for a reprint."""

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.void = label("", "void", center=True)
        self.title = label("", "heading", center=True)
        self.caption = label("", "subheading", center=True)
        self.number = label("", "number", wrap=False, center=True)
        self.text = label("", "big", center=True)
        self.voided_number = label("", "voided-number", center=True)
        centred(
            lay,
            [self.void, self.title, self.caption, self.number, self.text, self.voided_number],
        )
        self.home = button("", "home", model.home, "primary")
        lay.addWidget(self.home)

    def redraw(self) -> None:
        r, outcome = self.r, self.m.results.outcome
        if not isinstance(outcome, PrintFailed):
            return
        shown = present.failed(r, outcome)
        self.void.setVisible(shown.voided)
        self.voided_number.setVisible(shown.voided)
        for w in (self.title, self.caption, self.number):
            w.setVisible(not shown.voided)
        if shown.voided:
            self.void.setText(shown.title)
            self.voided_number.setText(shown.number)
        else:
            self.title.setText(shown.title)
            self.caption.setText(r.text("reprint_number"))
            self.number.setText(shown.number)
        self.text.setText(shown.text)
        self.home.setText(r.text("home"))


class RefusedView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        lay = QVBoxLayout(self)
        self.title = label("", "heading", center=True)
        self.message = label("", "big", center=True)
        self.hint = label("", "subheading", center=True)
        centred(lay, [self.title, self.message, self.hint])
        row = QHBoxLayout()
        self.nearby = button("", "refused-nearby", lambda: model.nearby.open())
        self.retry = button("", "arrival-retry", model.arrival.retry)
        self.home = button("", "home", model.home, "primary")
        row.addWidget(self.nearby)
        row.addWidget(self.retry)
        row.addWidget(self.home)
        lay.addLayout(row)

    def redraw(self) -> None:
        r, notice = self.r, self.m.results.notice
        self.title.setText(notice.title if notice else "")
        self.message.setText(notice.message if notice else "")
        self.hint.setText(notice.hint if notice else "")
        self.hint.setVisible(bool(notice and notice.hint))
        self.nearby.setText(r.text("nearby"))
        self.nearby.setVisible(self.m.opt.navigation and self.m.tickets.service is not None)
        self.retry.setText(r.text("retry"))
        self.retry.setVisible(self.m.arrival.can_retry(self.m.results.outcome))
        self.home.setText(r.text("home"))


class KeypadView(View):
    """Words on one side, a keypad on the other (side by side, or stacked when standing)."""

    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        self.outer = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.left = QVBoxLayout()
        self.right = QVBoxLayout()
        self.outer.addLayout(self.left, 3)
        self.outer.addLayout(self.right, 2)

    def arrange(self) -> None:
        landscape = self.look.landscape
        self.outer.setDirection(
            QBoxLayout.Direction.LeftToRight if landscape else QBoxLayout.Direction.TopToBottom
        )


class CheckInView(KeypadView):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        c = model.checkin
        self.title = label("", "heading", center=True)
        self.scan = label("", "big", center=True)
        self.code_hint = label("", "subheading", center=True)
        self.code = label("", "code", wrap=False, center=True)
        self.error = label("", "error", center=True)
        for w in (self.title, self.scan, self.code_hint, self.code, self.error):
            self.left.addWidget(w)
        self.left.addStretch(1)
        self.back = button("", "back", model.home)
        self.left.addWidget(self.back)
        self.keypad = Keypad("code", c.key)
        self.right.addWidget(self.keypad, 1)
        self.submit = button("", "code-submit", c.submit, "primary")
        self.right.addWidget(self.submit)
        self.arrival = button("", "open-arrival", model.arrival.open)
        self.right.addWidget(self.arrival)

    def redraw(self) -> None:
        r, c = self.r, self.m.checkin
        self.title.setText(r.text("checkin_title"))
        self.scan.setText(r.text("checkin_scan"))
        self.code_hint.setText(r.text("checkin_code"))
        self.code.setText(" ".join(c.code.ljust(6, "_")))
        self.error.setText(c.error)
        self.error.setVisible(bool(c.error))
        self.keypad.relabel({"delete": r.text("delete"), "clear": r.text("clear")})
        self.arrival.setText(r.text("open_arrival"))
        self.back.setText(r.text("back"))
        self.submit.setText(r.text("checkin_submit"))


class ClosedView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        self.title = label("", "heading", center=True)
        self.hours_title = label("", "subheading", center=True)
        self.hours = label("", "big", center=True)
        self.text = label("", "subheading", center=True)
        centred(QVBoxLayout(self), [self.title, self.hours_title, self.hours, self.text])

    def redraw(self) -> None:
        r = self.r
        self.title.setText(r.text("closed_title"))
        self.hours_title.setText(r.text("closed_hours"))
        self.hours.setText("\n".join(hours_lines(self.m.hall.entries)))
        self.text.setText(r.text("closed_text"))


class OfflineView(View):
    def __init__(self, model: KioskModel, look: Look) -> None:
        super().__init__(model, look)
        self.title = label("", "heading", center=True)
        self.text = label("", "big", center=True)
        centred(QVBoxLayout(self), [self.title, self.text])

    def redraw(self) -> None:
        self.title.setText(self.r.text("offline_title"))
        self.text.setText(self.r.text("offline_text"))
