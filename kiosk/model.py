"""The kiosk's state and flows, without Qt: what each touch, scan and hub update does.

The views (kiosk/ui) draw ``KioskModel``'s fields and call its methods; they listen for
``changed(aspects)``. Everything that blocks (the hub, the printer) goes through ``run(fn,
done)``: the Qt layer runs ``fn`` on a worker thread and calls ``done(result)`` back on the
GUI thread; tests pass a runner of their own. ``tick()`` is called once a second.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hall.core.timekeeping import PLAUSIBLE_FLOOR
from kiosk import guide as g
from kiosk import navigation, services
from kiosk.checkin import CheckInRequest, Keys, Problem, classify
from kiosk.idle import IdleTimer
from kiosk.technician import Technician
from kiosk.texts import refusal_text, state_text, t
from kiosk.ticketing import (
    Issued,
    Outcome,
    PrinterDown,
    PrintFailed,
    Refusal,
    Ticketing,
    Unreachable,
)

log = logging.getLogger(__name__)

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]
GREEN_CHANNEL = ("elderly", "disability", "pregnancy")


class Screen(enum.StrEnum):
    HOME = "home"
    SEARCH = "search"
    PRIORITY = "priority"
    BUSY = "busy"
    TICKET = "ticket"
    FAILED = "failed"
    REFUSED = "refused"
    CHECKIN = "checkin"
    CLOSED = "closed"
    OFFLINE = "offline"
    PIN = "pin"
    TECH = "tech"
    NEARBY = "nearby"


RESTING = (Screen.HOME, Screen.CLOSED, Screen.OFFLINE)


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    hint: str = ""


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
    versions: tuple[tuple[str, str], ...] = ()


class KioskModel:
    def __init__(
        self,
        options: ModelOptions,
        ticketing: Ticketing,
        run: Runner,
        clock: Callable[[], float],
        keys: Keys | None = None,
        guide: g.Guide | None = None,
    ) -> None:
        self.opt = options
        self.ops = ticketing
        self.run = run
        self.clock = clock
        self.keys = keys or Keys(None, None)
        self.guide = guide
        self.screen = Screen.HOME
        self.lang = options.language
        self.elder = False
        self.hall_name = options.hall_name
        self.link_up = False
        self.catalog: dict[str, Any] | None = None
        self.board: dict[str, Any] | None = None
        self.entries: list[services.ServiceEntry] = []
        self.category: str | None = None
        self.query = ""
        self.service: services.ServiceEntry | None = None
        self.busy = False
        self.busy_key = "working"
        self.outcome: Outcome | None = None
        self.notice: Notice | None = None
        self.code = ""
        self.code_error = ""
        self.tech = Technician(self, options.technician_pin)
        self.nearby: dict[str, Any] | None = None
        self.nearby_mode = "best"
        self.nearby_service: str | None = None
        self.countdown: int | None = None
        self.idle = IdleTimer(options.idle_s, options.countdown_s, clock())
        self._listeners: list[Callable[[frozenset[str]], None]] = []

    # --- plumbing --------------------------------------------------------------------------

    def listen(self, cb: Callable[[frozenset[str]], None]) -> None:
        self._listeners.append(cb)

    def notify(self, *aspects: str) -> None:
        what = frozenset(aspects)
        for cb in list(self._listeners):
            cb(what)

    def text(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def scale(self) -> float:
        """The text size factor of the screen now (elder mode: at least 1.5)."""
        return self.opt.elder_scale if self.elder else 1.0

    def local_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.opt.tz)

    def go(self, screen: Screen, *, speak: bool = True) -> None:
        self.screen = screen
        now = self.clock()
        if self.elder:
            self.idle.reset(self.opt.elder_idle_s, show=False, now=now)
        elif screen in (Screen.TICKET, Screen.FAILED):
            self.idle.reset(self.opt.result_s, show=True, now=now)
        else:
            self.idle.reset(self.opt.idle_s, show=True, now=now)
        self.countdown = None
        self.notify("screen")
        if speak:
            self._speak_screen()

    # --- hub state -------------------------------------------------------------------------

    def set_catalog(self, payload: dict[str, Any]) -> None:
        self.catalog = payload or None
        self._rebuild()

    def set_board(self, payload: dict[str, Any]) -> None:
        self.board = payload or None
        self._rebuild()

    def _rebuild(self) -> None:
        self.entries = services.build_entries(self.catalog, self.board)
        for source in (self.board, self.catalog):
            if source and source.get("hall_name"):
                self.hall_name = str(source["hall_name"])
        self.notify("board")
        self._settle()

    def set_link(self, up: bool) -> None:
        if up == self.link_up:
            return
        self.link_up = up
        self.notify("link")
        if up:
            self.run(self.ops.recover, lambda _done: None)
        self._settle()

    def set_nearby(self, payload: dict[str, Any]) -> None:
        self.nearby = payload or None
        self.notify("nearby")

    def hours_known(self) -> bool:
        return self.opt.hours_check and self.clock() >= PLAUSIBLE_FLOOR and bool(self.entries)

    def is_open(self) -> bool:
        return not self.hours_known() or services.open_now(self.entries, self.local_now())

    def _settle(self) -> None:
        """On a resting screen, show home, closed or offline as the state says."""
        if self.screen not in RESTING:
            return
        if not self.link_up:
            target = Screen.OFFLINE
        elif not self.is_open():
            target = Screen.CLOSED
        else:
            target = Screen.HOME
        if target is not self.screen:
            self.go(target)

    # --- time ------------------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock()
        self.notify("clock")
        if self.busy:
            return
        countdown = self.idle.countdown(now) if self.screen not in RESTING else None
        if countdown != self.countdown:
            self.countdown = countdown
            self.notify("countdown")
        if self.idle.expired(now) and not self._at_rest():
            self._reset_for_next_citizen()
        self._settle()

    def touch(self) -> None:
        self.idle.touch(self.clock())
        if self.countdown is not None:
            self.countdown = None
            self.notify("countdown")

    def _at_rest(self) -> bool:
        return (
            self.screen in RESTING
            and not self.elder
            and self.lang == self.opt.language
            and self.category is None
        )

    def _reset_for_next_citizen(self) -> None:
        self.elder = False
        self.lang = self.opt.language
        self.category = None
        self._clear_flow()
        self.notify("elder", "lang")
        self.go(Screen.HOME)
        self._settle()

    def _clear_flow(self) -> None:
        self.query = ""
        self.service = None
        self.outcome = None
        self.notice = None
        self.code = ""
        self.code_error = ""
        self.tech.clear()

    # --- home ------------------------------------------------------------------------------

    def home(self) -> None:
        if self.busy:
            return
        self.touch()
        self._clear_flow()
        self.go(Screen.HOME)
        self._settle()

    def toggle_elder(self) -> None:
        self.touch()
        self.elder = not self.elder
        self.go(self.screen, speak=False)
        self.notify("elder")
        if self.elder:
            self._say(g.phrase("已进入长辈模式，" + g.GUIDANCE.get(self.screen.value, "")))

    def toggle_language(self) -> None:
        self.touch()
        self.lang = "en" if self.lang == "zh" else "zh"
        self.notify("lang")

    def pick_category(self, category: str | None) -> None:
        self.touch()
        self.category = category
        self.notify("category")

    def visible_entries(self) -> list[services.ServiceEntry]:
        if self.screen is Screen.SEARCH:
            return services.search(self.entries, self.query)
        if self.category is None or self.elder:
            return list(self.entries)
        return [e for e in self.entries if e.category == self.category]

    def service_open(self, entry: services.ServiceEntry) -> bool:
        return not self.hours_known() or entry.is_open(self.local_now())

    def open_search(self) -> None:
        if self.busy:
            return
        self.touch()
        self.query = ""
        self.go(Screen.SEARCH)

    def search_key(self, key: str) -> None:
        self.touch()
        if key in ("backspace", "delete"):
            self.query = self.query[:-1]
        elif key == "clear":
            self.query = ""
        elif len(self.query) < 20:
            self.query += key
        self.notify("search")

    # --- taking a ticket -------------------------------------------------------------------

    def pick_service(self, code: str) -> None:
        if self.busy or self.screen not in (Screen.HOME, Screen.SEARCH):
            return
        self.touch()
        entry = next((e for e in self.entries if e.code == code), None)
        if entry is None:
            return
        self.service = entry
        if not self.service_open(entry):
            message, hint = refusal_text(
                "outside_hours",
                f"不在办理时间内。办理时间：{entry.hours_text}",
                "请在办理时间内取号",
                self.lang,
            )
            self._refuse(self.text("refused_title"), message, hint)
            return
        if self.asks_priority(code):
            self.go(Screen.PRIORITY)
        else:
            self._issue(code, "normal")

    def asks_priority(self, code: str) -> bool:
        if not self.opt.green_channel:
            return False
        return not self.opt.green_services or code in self.opt.green_services

    def pick_priority(self, priority: str) -> None:
        if self.busy or self.screen is not Screen.PRIORITY or self.service is None:
            return
        if priority not in ("normal", *GREEN_CHANNEL):
            raise ValueError(f"not a kiosk priority: {priority}")
        self.touch()
        self._issue(self.service.code, priority)

    def _issue(self, code: str, priority: str) -> None:
        self._start("printing", lambda: self.ops.issue(code, priority), self._finished)

    def _start(self, busy_key: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.busy = True
        self.busy_key = busy_key
        self.go(Screen.BUSY)
        self.run(fn, done)

    def _finished(self, outcome: Outcome, *, checkin: bool = False) -> None:
        self.busy = False
        self.outcome = outcome
        title = self.text("checkin_refused_title" if checkin else "refused_title")
        if isinstance(outcome, Issued):
            self.go(Screen.TICKET)
        elif isinstance(outcome, PrintFailed):
            self.go(Screen.FAILED)
        elif isinstance(outcome, Refusal):
            message, hint = refusal_text(outcome.code, outcome.message, outcome.hint, self.lang)
            self._refuse(title, message, hint)
        elif isinstance(outcome, PrinterDown):
            state = state_text(outcome.state, self.lang)
            self._refuse(title, self.text("printer_down", state=state))
        elif isinstance(outcome, Unreachable):
            self._refuse(self.text("offline_title"), self.text("offline_text"))
        else:
            log.error("unexpected outcome %r", outcome)
            self._refuse(title, self.text("ask_staff"))

    def op_failed(self, exc: BaseException) -> None:
        """An operation raised (a bug, logged by the runner): never leave the screen busy."""
        if self.busy:
            self.busy = False
            self._refuse(self.text("refused_title"), self.text("ask_staff"))

    def _refuse(self, title: str, message: str, hint: str = "") -> None:
        self.notice = Notice(title, message, hint)
        self.go(Screen.REFUSED)

    # --- check-in --------------------------------------------------------------------------

    def open_checkin(self) -> None:
        if self.busy:
            return
        self.touch()
        self.code = ""
        self.code_error = ""
        self.go(Screen.CHECKIN)

    def code_key(self, key: str) -> None:
        self.touch()
        self.code_error = ""
        if key in ("backspace", "delete"):
            self.code = self.code[:-1]
        elif key == "clear":
            self.code = ""
        elif key == "enter":
            self.submit_code()
            return
        elif key.isdigit() and len(key) == 1 and len(self.code) < 6:
            self.code += key
        self.notify("code")

    def submit_code(self) -> None:
        if self.busy or self.screen is not Screen.CHECKIN:
            return
        if len(self.code) != 6:
            self.code_error = self.text("code_incomplete")
            self.notify("code")
            return
        self._check_in(CheckInRequest("code", {"code": self.code}))

    def scanned(self, text: str) -> None:
        """A line from a scanner or ID reader (it may be an identity number: never kept)."""
        if self.screen is Screen.TECH:
            self.tech.scanned(text)
            return
        if self.busy or self.screen in (Screen.PIN,):
            return
        self.touch()
        found = classify(text, self.keys, now=self.clock())
        if isinstance(found, Problem):
            if found.key == "token":
                message, hint = refusal_text(found.code, found.message, "", self.lang)
            else:
                message, hint = self.text(found.key), ""
            self._refuse(self.text("checkin_refused_title"), message, hint)
            return
        self._check_in(found)

    def scan_rejected(self, reason: str) -> None:
        if self.screen is Screen.TECH:
            self.tech.scan_rejected(reason)

    def keypad(self, key: str) -> None:
        """A key from a hardware keypad: PIN or code entry, digits on home open check-in."""
        if self.screen is Screen.PIN:
            self.tech.pin_key(key)
        elif self.screen is Screen.CHECKIN:
            self.code_key(key)
        elif self.screen is Screen.HOME and key.isdigit():
            self.open_checkin()
            self.code_key(key)

    def _check_in(self, request: CheckInRequest) -> None:
        args = dict(request.args)
        self._start(
            "checking_in",
            lambda: self.ops.check_in(args),
            lambda outcome: self._finished(outcome, checkin=True),
        )

    # --- smart navigation ------------------------------------------------------------------

    def open_nearby(self, code: str | None = None) -> None:
        if self.busy:
            return
        self.touch()
        chosen = code or (self.service.code if self.service else None)
        if chosen is None and self.entries:
            chosen = self.entries[0].code
        self.nearby_service = chosen
        self.go(Screen.NEARBY)

    def set_nearby_mode(self, mode: str) -> None:
        if mode not in navigation.MODES:
            raise ValueError(mode)
        self.touch()
        self.nearby_mode = mode
        self.notify("nearby")

    def set_nearby_service(self, code: str) -> None:
        self.touch()
        self.nearby_service = code
        self.notify("nearby")

    def nearby_rows(self) -> list[navigation.NearbyRow]:
        if not self.nearby or not self.nearby_service:
            return []
        try:
            ranked = navigation.rank(
                self.nearby, self.nearby_service, self.nearby_mode, now=self.local_now()
            )
        except Exception:  # another helper's ranking must not take the kiosk down
            log.exception("ranking the nearby halls failed")
            return []
        return navigation.rows(ranked, self.nearby_service)

    # --- spoken guidance -------------------------------------------------------------------

    def _say(self, sentence: g.Sentence) -> None:
        if self.guide is not None and self.elder:
            self.guide.say(sentence)

    def _speak_screen(self) -> None:
        if self.guide is not None and self.elder:
            sentence = g.sentence_for(self.screen.value, self.outcome, self.notice, self.busy_key)
            if sentence is not None:
                self._say(sentence)
