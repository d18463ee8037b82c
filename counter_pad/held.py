"""Presses kept through a hub outage, applied when the hub is back if still meaningful.

A press the hub has not answered within ``command_timeout_s`` is not dropped: it is
written to the pads' memory (before its device gets the ACK), and while the hub stays
away every later press of that counter joins it, in order, without waiting (the outage is
known). The pad says so: "网络故障 / 按键已暂存", then "暂存 2 键" on its second line
until they are sent. When the hub answers again (a retry every few seconds, or the hall
bus coming back) they are sent in order, each with its own idempotency key, so a press
the hub did act on before its reply was lost is answered from the hub's store, not acted
on twice.

A held press that is no longer meaningful is dropped, and its pad says "按键未生效" with
the reason, beeping: a call (call next, recall, skip, transfer, a number) older than
``held_call_s`` (the citizen has gone, the staff have called by voice), any other counter
key older than ``held_press_s``, a rating older than ``held_rating_s``. A counter keeps at
most ``held_max``: a press beyond that is refused at once ("按键未生效 / 网络故障").
Ages are by the wall clock (they outlive a restart); a clock that jumps can keep or drop a
press wrongly, within those limits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from counter_pad.durable import DurableState, HeldPress
from counter_pad.keys import Key, KeyEvent

log = logging.getLogger(__name__)

CALL_KEYS = frozenset(
    {Key.CALL_NEXT, Key.RECALL, Key.SKIP, Key.TRANSFER, Key.CALL_NUMBER, Key.CALL_BACK}
)
RATING_KEYS = frozenset(k for k in Key if 0x21 <= k <= 0x26)


@dataclass(frozen=True)
class HeldLimits:
    call_s: float = 120.0
    press_s: float = 900.0
    rating_s: float = 3600.0
    per_counter: int = 10
    retry_s: float = 5.0


def stale_reason(key: Key, age: float, limits: HeldLimits) -> str | None:
    """Why a press held for ``age`` seconds is no longer meaningful (a short text for the
    pad's second line), or None when it should still act."""
    if age < 0:
        return None  # the clock went back: keep it, the hub's own checks still apply
    if key in RATING_KEYS:
        return "评价已过时" if age > limits.rating_s else None
    if key in CALL_KEYS:
        return "呼叫已过时" if age > limits.call_s else None
    return "操作已过时" if age > limits.press_s else None


Handle = Callable[[KeyEvent, float], bool]  # (press, timeout): False = hub still away
Notify = Callable[[str, str, str, bool], None]  # counter, line1, line2, beep


class HeldPresses:
    """The outage queue: durable, in order per counter, drained by its own thread."""

    def __init__(
        self,
        store: DurableState,
        limits: HeldLimits,
        handle: Handle,
        notify: Notify,
        changed: Callable[[str], None],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.limits = limits
        self.handle = handle
        self.notify = notify
        self.changed = changed  # a counter's held count changed: redraw its pad
        self.wall = wall
        self.outage = False  # the hub did not answer the last press: hold new ones at once
        self._cond = threading.Condition()
        self._held: list[HeldPress] = store.held()  # left by a master that stopped
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pads-held", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def count(self, counter: str) -> int:
        with self._cond:
            return sum(1 for h in self._held if h.counter == counter)

    def should_hold(self, counter: str) -> bool:
        """A new press waits behind the held ones of its counter, or for the hub."""
        with self._cond:
            return self.outage or any(h.counter == counter for h in self._held)

    def hold(self, event: KeyEvent, counter: str, taken_wall: float) -> bool:
        """Keep a press (durably, before it is acknowledged); False when the counter's
        share is full and the press is refused instead."""
        with self._cond:
            if sum(1 for h in self._held if h.counter == counter) >= self.limits.per_counter:
                full = True
            else:
                full = False
                held = HeldPress(event, counter, taken_wall)
                self.store.held_add(held)
                self._held.append(held)
                self.outage = True
                self._cond.notify_all()
        if full:
            log.warning(
                "press %s refused: %s holds too many presses", event.idempotency_key, counter
            )
            self.notify(counter, "按键未生效", "网络故障", True)
            return False
        log.info("press %s held until the hub answers", event.idempotency_key)
        self.changed(counter)
        return True

    def wake(self) -> None:
        """Try the held presses now (the hall bus is back)."""
        with self._cond:
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or bool(self._held))
                if self._stopping:
                    return
            if not self._drain():
                with self._cond:
                    self._cond.wait(self.limits.retry_s)

    def _drain(self) -> bool:
        """Send held presses, oldest first; False when the hub is still away."""
        while True:
            with self._cond:
                if self._stopping or not self._held:
                    return True
                press = self._held[0]
            reason = stale_reason(press.event.key, self.wall() - press.taken_at, self.limits)
            if reason is not None:
                log.warning("held press %s dropped: %s", press.key, reason)
                self.notify(press.counter, "按键未生效", reason, True)
            elif not self.handle(press.event, min(self.limits.retry_s, 10.0)):
                return False
            with self._cond:
                self.store.held_done(press.key)
                self._held.remove(press)
                if reason is None:
                    self.outage = False  # the hub answered
            self.changed(press.counter)
