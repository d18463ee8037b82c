"""The screen shown and what every flow shares: busy, language, elder mode, the idle timer.

Views listen for ``changed(aspects)`` (a frozenset of words such as "screen", "board",
"clock"); flows register what to forget when the next citizen comes (``on_reset``) and what
to do when a screen is entered (``on_enter``: the elder-mode guidance). Everything that
blocks (the hub, the printer) goes through ``run(fn, done)``: the Qt layer runs ``fn`` on a
worker thread and calls ``done(result)`` back on the GUI thread; tests pass their own runner.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.idle import IdleTimer
from kiosk.texts import t

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]
Listener = Callable[[frozenset[str]], None]


class Screen(enum.StrEnum):
    HOME = "home"
    SEARCH = "search"
    PRIORITY = "priority"
    BUSY = "busy"
    TICKET = "ticket"
    FAILED = "failed"
    REFUSED = "refused"
    CHECKIN = "checkin"
    ARRIVAL = "arrival"  # a phone ticket's number and the phone's last four digits
    ARRIVED = "arrived"  # a phone ticket checked in
    CLOSED = "closed"
    OFFLINE = "offline"
    PIN = "pin"
    TECH = "tech"
    NEARBY = "nearby"


RESTING = (Screen.HOME, Screen.CLOSED, Screen.OFFLINE)


@dataclass(frozen=True)
class ModelOptions:
    kiosk_id: str = "kiosk-1"
    hall_name: str = ""
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    language: str = "zh"
    idle_s: float = 45
    countdown_s: float = 10
    result_s: float = 15
    elder_idle_s: float = 120
    green_channel: bool = True
    green_services: frozenset[str] = frozenset()
    technician_pin: str | None = None
    navigation: bool = True
    hours_check: bool = True
    elder_scale: float = 1.6
    printer_poll_s: float = 30
    versions: tuple[tuple[str, str], ...] = ()
    number_width: int = 3  # digits in a ticket number (queue.number_width): A45 is A045


class Router:
    def __init__(self, options: ModelOptions, run: Runner, clock: Callable[[], float]) -> None:
        self.opt = options
        self.run = run
        self.clock = clock
        self.screen = Screen.HOME
        self.lang = options.language
        self.elder = False
        self.busy = False
        self.busy_key = "working"
        self.countdown: int | None = None
        self.idle = IdleTimer(options.idle_s, options.countdown_s, clock())
        self._listeners: list[Listener] = []
        self._entered: list[Callable[[Screen], None]] = []
        self._resets: list[Callable[[], None]] = []
        self._pristine: list[Callable[[], bool]] = []

    # --- events ----------------------------------------------------------------------------

    def listen(self, cb: Listener) -> None:
        self._listeners.append(cb)

    def notify(self, *aspects: str) -> None:
        what = frozenset(aspects)
        for cb in list(self._listeners):
            cb(what)

    def on_enter(self, cb: Callable[[Screen], None]) -> None:
        """``cb(screen)`` after each spoken screen change (``go(..., speak=True)``)."""
        self._entered.append(cb)

    def on_reset(
        self, clear: Callable[[], None], pristine: Callable[[], bool] | None = None
    ) -> None:
        """``clear`` forgets a flow's state (home, next citizen); ``pristine`` says whether
        there is anything to forget (the idle timer leaves a pristine home alone)."""
        self._resets.append(clear)
        if pristine is not None:
            self._pristine.append(pristine)

    # --- words and time --------------------------------------------------------------------

    def text(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def scale(self) -> float:
        """The text size factor of the screen now (elder mode: at least 1.5)."""
        return self.opt.elder_scale if self.elder else 1.0

    def local_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.opt.tz)

    # --- screens ---------------------------------------------------------------------------

    def go(self, screen: Screen, *, speak: bool = True) -> None:
        self.screen = screen
        now = self.clock()
        if self.elder:
            self.idle.reset(self.opt.elder_idle_s, show=False, now=now)
        elif screen in (Screen.TICKET, Screen.FAILED, Screen.ARRIVED):
            self.idle.reset(self.opt.result_s, show=True, now=now)
        else:
            self.idle.reset(self.opt.idle_s, show=True, now=now)
        self.countdown = None
        self.notify("screen")
        if speak:
            for cb in list(self._entered):
                cb(screen)

    def start(self, busy_key: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Show the busy screen, run ``fn`` on the worker, then ``done(result)``."""
        self.busy = True
        self.busy_key = busy_key

        def finished(result: Any) -> None:
            self.busy = False
            done(result)

        self.go(Screen.BUSY)
        self.run(fn, finished)

    def touch(self) -> None:
        self.idle.touch(self.clock())
        if self.countdown is not None:
            self.countdown = None
            self.notify("countdown")

    def clear_flows(self) -> None:
        for clear in list(self._resets):
            clear()

    def at_rest(self) -> bool:
        return (
            self.screen in RESTING
            and not self.elder
            and self.lang == self.opt.language
            and all(p() for p in self._pristine)
        )

    def tick(self) -> bool:
        """The countdown once a second; True when the citizen has gone (reset to home)."""
        now = self.clock()
        self.notify("clock")
        if self.busy:
            return False
        countdown = self.idle.countdown(now) if self.screen not in RESTING else None
        if countdown != self.countdown:
            self.countdown = countdown
            self.notify("countdown")
        if self.idle.expired(now) and not self.at_rest():
            self.next_citizen()
            return True
        return False

    def next_citizen(self) -> None:
        self.elder = False
        self.lang = self.opt.language
        self.clear_flows()
        self.notify("elder", "lang")
        self.go(Screen.HOME)
