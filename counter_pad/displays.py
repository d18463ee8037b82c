"""What each counter's devices show, kept by the pads service (no IO of its own).

Per counter: the hub's retained state (or the prediction after a command), a notice shown
for ``notice_seconds`` (a refusal, a rating, "网络故障"), and whether presses are held for
the hub. :meth:`Displays.render` turns them into each device's view (`counter_pad.view`)
and hands it to the device's link; a call-pad's answer to a press is *urgent*.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from counter_pad import view as v


class ShownDevice(Protocol):
    @property
    def address(self) -> int: ...

    @property
    def kind(self) -> str: ...


class Presents(Protocol):
    def present(self, address: int, view: v.PadView, urgent: bool = False) -> None: ...

    def beep(self, address: int, count: int) -> None: ...


class Displays:
    def __init__(
        self,
        by_counter: Mapping[str, list[Any]],
        output: Callable[[Any], Presents],
        held: Callable[[str], int],
        *,
        notice_seconds: float,
        error_beeps: int,
        clock: Callable[[], float],
        link_up: bool,
    ) -> None:
        self.by_counter = by_counter
        self.output = output
        self.held = held  # presses held for the hub at a counter
        self.notice_seconds = notice_seconds
        self.error_beeps = error_beeps
        self.clock = clock
        self.link_up = link_up
        self._lock = threading.RLock()
        self._state: dict[str, dict[str, Any]] = {}  # counter -> its state (or a prediction)
        self._notice: dict[str, tuple[v.PadView, float]] = {}

    def state(self, counter: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.get(counter) or {})

    def set_state(self, counter: str, state: Mapping[str, Any] | None) -> None:
        """The hub's retained state (None: cleared)."""
        with self._lock:
            if state:
                self._state[counter] = dict(state)
            else:
                self._state.pop(counter, None)
        self.render(counter)

    def predicted(self, counter: str, command: str, result: Mapping[str, Any]) -> None:
        """A command succeeded: show its outcome now (urgent), ahead of the hub's state."""
        with self._lock:
            predicted = v.predict(self._state.get(counter), command, dict(result))
            if predicted is not None:
                self._state[counter] = predicted
            self._notice.pop(counter, None)
        self.render(counter, urgent=True)

    def set_link(self, up: bool) -> None:
        self.link_up = up
        for counter in self.by_counter:
            self.render(counter)

    def notify(self, counter: str, line1: str, line2: str = "", beep: bool = False) -> None:
        with self._lock:
            base = v.pad_view(self._state.get(counter))
        self.show_notice(counter, v.notice_view(base, line1, line2), beep)

    def refused(self, counter: str, code: str, message: str, hint: str, beep: bool) -> None:
        with self._lock:
            base = v.pad_view(self._state.get(counter))
        self.show_notice(counter, v.error_view(base, code, message, hint), beep)

    def show_notice(self, counter: str, view: v.PadView, beep: bool = False) -> None:
        with self._lock:
            self._notice[counter] = (view.fitted(), self.clock() + self.notice_seconds)
        self.render(counter, urgent=True)
        if beep and self.error_beeps:
            for dev in self._kind(counter, "call_pad"):
                self.output(dev).beep(dev.address, self.error_beeps)

    def expire(self) -> None:
        """Notices whose time is up go; their counters show their state again."""
        now = self.clock()
        with self._lock:
            expired = [c for c, (_, until) in self._notice.items() if until <= now]
            for c in expired:
                del self._notice[c]
        for c in expired:
            self.render(c)

    def render(self, counter: str, urgent: bool = False) -> None:
        held = self.held(counter)
        with self._lock:
            state = self._state.get(counter)
            notice = self._notice.get(counter)
            pad = notice[0] if notice else v.pad_view(state)
            if held and not notice:
                pad = v.PadView(pad.line1, f"暂存{held}键 待发送", pad.ticket, pad.waiting)
            elif not self.link_up and not notice and state:
                pad = v.PadView(pad.line1, "网络中断 请稍候", pad.ticket, pad.waiting)
            for dev in self.by_counter.get(counter, ()):
                if dev.kind == "call_pad":
                    shown = pad
                elif dev.kind == "display":
                    shown = v.display_view(state)
                else:
                    shown = v.evaluator_view(state)
                self.output(dev).present(dev.address, shown, urgent and dev.kind == "call_pad")

    def _kind(self, counter: str, kind: str) -> Iterable[Any]:
        return [d for d in self.by_counter.get(counter, ()) if d.kind == kind]
