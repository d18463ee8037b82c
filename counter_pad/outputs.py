"""The devices the pads service drives and the adapters to each kind of link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from counter_pad import view as v
from counter_pad.keys import KeyEvent
from counter_pad.legacy_link import LegacyLink
from counter_pad.master import BusMaster
from counter_pad.memory import PressJournal
from counter_pad.view import PadView

Kind = Literal["call_pad", "evaluator", "display"]
REPORT_KIND = {"call_pad": "pad", "evaluator": "evaluator", "display": "display"}


class Output(Protocol):
    """What the service drives on one link (a v1 bus, a legacy bus, a keypad)."""

    def present(self, address: int, view: v.PadView, urgent: bool = False) -> None:
        """Show ``view``; ``urgent`` when it answers a press at this counter."""
        ...

    def beep(self, address: int, count: int) -> None: ...

    def eval_start(self, address: int, ticket: str) -> None: ...

    def eval_cancel(self, address: int) -> None: ...

    def confirm(self, event: KeyEvent) -> None: ...


@dataclass(frozen=True)
class Device:
    link: str
    address: int
    counter: str
    kind: Kind = "call_pad"

    @property
    def ref(self) -> tuple[str, int]:
        return (self.link, self.address)


class V1Output:
    """A protocol v1 bus: text lines, beeps, evaluators."""

    def __init__(self, master: BusMaster) -> None:
        self.master = master

    def present(self, address: int, view: PadView, urgent: bool = False) -> None:
        self.master.show(address, view.line1, view.line2, urgent)

    def beep(self, address: int, count: int) -> None:
        self.master.beep(address, min(max(count, 0), 5))

    def eval_start(self, address: int, ticket: str) -> None:
        self.master.eval_start(address, ticket)

    def eval_cancel(self, address: int) -> None:
        self.master.eval_cancel(address)

    def confirm(self, event: KeyEvent) -> None:
        self.master.confirm(event)


class LegacyOutput:
    """A legacy bus: six digits (ticket and waiting count) and beeps; no evaluators."""

    def __init__(self, link: LegacyLink) -> None:
        self.link = link

    def present(self, address: int, view: PadView, urgent: bool = False) -> None:
        self.link.show_digits(address, view.ticket, view.waiting)

    def beep(self, address: int, count: int) -> None:
        if count:
            self.link.beep(address, min(count, 5))

    def eval_start(self, address: int, ticket: str) -> None:
        pass

    def eval_cancel(self, address: int) -> None:
        pass

    def confirm(self, event: KeyEvent) -> None:
        self.link.confirm(event)


class KeypadOutput:
    """A USB keypad: nothing to show; confirming a press clears it from the journal."""

    def __init__(self, journal: PressJournal) -> None:
        self.journal = journal

    def present(self, address: int, view: PadView, urgent: bool = False) -> None:
        pass

    def beep(self, address: int, count: int) -> None:
        pass

    def eval_start(self, address: int, ticket: str) -> None:
        pass

    def eval_cancel(self, address: int) -> None:
        pass

    def confirm(self, event: KeyEvent) -> None:
        self.journal.journal_done(event)
