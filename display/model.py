"""What the waiting-hall screen shows, as plain data: the display's model, without Qt.

The model takes the hub's retained board (`apply_board`), live calls (`apply_call`) and the
link's state (`set_link`), and `screen(now, mono)` returns a frozen `Screen` that the Qt view
only draws. Time is passed in (wall time for the clock on the screen, monotonic time for the
highlight and the paging), so the tests drive it without sleeping.

- A live call is shown large and flashing for `highlight_seconds`, then it joins the list
  of recent calls (newest first, one row per number). A newer call takes its place at once.
- Calls from the retained board only fill the recent list: on start the screen shows the
  state at once and never flashes (or announces) a call made before it started.
- When the link drops, the last state stays and `Screen.link_lost` is set (the view shows a
  discreet "连接中断"); the next board after reconnecting replaces it.
- Services that do not fit on the screen are shown a page at a time, turning every
  `page_seconds`. A service with numbers taken on phones whose citizens are not in the hall
  yet (the board's `on_the_way`, 云叫号) says so beside its waiting count: "含3人在途".
- Counters are written as calls write them: "3 号窗口" (or the counter's own name); paused
  and closed ones are listed compactly ("未开放：4～11 号窗口、婚姻登记处"). With every
  counter closed outside the hall's hours (from the retained catalog: `apply_catalog`),
  the screen says so instead ("今日办理已结束", `display.hours`).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .calls import BadMessage, CallView, own_name, parse_call
from .hours import HallHours, hours_from_catalog

_log = logging.getLogger(__name__)

WEEKDAYS = "一二三四五六日"
IDLE_TEXT = "请留意叫号信息，过号请到服务台咨询"
FLASH_PERIOD_S = 0.5
LIVE_KEPT = 30
MAX_ESTIMATE_MIN = 180  # beyond this an estimate means nothing to a citizen
_NUMBERED = re.compile(r"^[0-9]{1,8} 号窗口$")


@dataclass(frozen=True)
class ServiceRow:
    code: str
    name: str
    waiting: int
    estimate: str  # "约 15 分钟", "无需等候", "暂停办理"
    open: bool = True  # a counter serving it is open
    on_the_way: int = 0  # of `waiting`: numbers taken on phones whose citizen is not here yet

    @property
    def on_the_way_text(self) -> str:
        """Beside the waiting count, only when someone is on the way: "含3人在途"."""
        return f"含{self.on_the_way}人在途" if self.on_the_way > 0 else ""


@dataclass(frozen=True)
class Screen:
    hall_name: str
    date_text: str
    time_text: str
    current: CallView | None  # the call shown large (highlighted), or None
    flash_on: bool  # the highlight's phase: the view alternates two styles
    recent: tuple[CallView, ...]
    services: tuple[ServiceRow, ...]  # the page of services shown now
    page_text: str  # "1/3" when services are paged, else ""
    paused: tuple[str, ...]  # paused counters as shown: "5 号窗口", "婚姻登记处"
    closed: tuple[str, ...]
    notice: str
    waiting_total: int
    link_lost: bool
    has_board: bool
    hall_closed: str = ""  # "今日办理已结束" … when every counter is closed outside hours

    @property
    def idle_text(self) -> str:
        """What the banner says while no call is shown."""
        return self.hall_closed or IDLE_TEXT

    @property
    def status_text(self) -> str:
        if not self.has_board:
            return "正在连接叫号系统…"
        return "连接中断" if self.link_lost else ""

    @property
    def counters_text(self) -> str:
        if self.hall_closed:
            return ""
        parts = []
        if self.paused:
            parts.append("暂停服务：" + counter_list(self.paused))
        if self.closed:
            parts.append("未开放：" + counter_list(self.closed))
        return "　".join(parts)


def counter_list(shown: Sequence[str]) -> str:
    """Counters shown as "3 号窗口" or by name, compactly: numbered ones together in order,
    runs of three or more as a range ("1、2 号窗口", "4～11 号窗口"), then the names."""
    numbers = sorted(int(n[: -len(" 号窗口")]) for n in shown if _NUMBERED.match(n))
    named = [n for n in shown if not _NUMBERED.match(n)]
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}～{r[-1]}" if len(r) >= 3 else "、".join(str(n) for n in r) for r in runs]
    out = ["、".join(parts) + " 号窗口"] if parts else []
    return "、".join(out + named)


def estimate_text(waiting: int, minutes: object, open_counters: object) -> str:
    if isinstance(open_counters, int) and open_counters <= 0:
        return "暂停办理"
    if waiting <= 0:
        return "无需等候"
    if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and minutes > 0:
        whole = max(1, round(minutes))
        if whole < 60:
            return f"约 {whole} 分钟"
        if whole <= MAX_ESTIMATE_MIN:
            hours, rest = divmod(round(whole / 10) * 10, 60)
            return f"约 {hours} 小时" + (f" {rest} 分" if rest else "")
        return f"{MAX_ESTIMATE_MIN // 60} 小时以上"
    return "请稍候"


def date_text(now: datetime) -> str:
    return f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS[now.weekday()]}"


class DisplayModel:
    def __init__(
        self,
        *,
        hall_name: str = "",
        highlight_seconds: float = 8.0,
        recent_calls: int = 8,
        page_seconds: float = 10.0,
        masked_names: bool = False,
    ) -> None:
        self.highlight_seconds = highlight_seconds
        self.recent_calls = recent_calls
        self.page_seconds = page_seconds
        self.masked_names = masked_names
        self._hall_name = hall_name
        self._board: Mapping[str, Any] | None = None
        self._hours = HallHours()
        self._all_closed = False
        self._board_calls: list[CallView] = []
        self._services: list[ServiceRow] = []
        self._paused: list[str] = []
        self._closed: list[str] = []
        self._live: list[CallView] = []  # newest first
        self._current: CallView | None = None
        self._since = 0.0  # monotonic time the current call was shown
        self._link_up = False
        self._first_screen: float | None = None  # paging starts at the first page
        self.rejected = 0

    # -- input --------------------------------------------------------------------------------

    def apply_board(self, board: Mapping[str, Any]) -> bool:
        """Take a retained board; False (and nothing changed) when it is malformed."""
        try:
            calls, services, paused, closed = _parse_board(board, self.masked_names)
        except BadMessage as exc:
            self.rejected += 1
            _log.warning("board refused: %s", exc)
            return False
        if self._board is not None and board.get("day") != self._board.get("day"):
            self._live.clear()  # a new business day: yesterday's calls are gone
            self._current = None
        self._board = board
        self._board_calls = calls
        self._services = services
        self._paused = paused
        self._closed = closed
        self._all_closed = bool(closed) and len(closed) == len(_list(board, "counters"))
        if isinstance(board.get("hall_name"), str) and board["hall_name"]:
            self._hall_name = board["hall_name"]
        return True

    def apply_catalog(self, catalog: Mapping[str, Any]) -> None:
        """Take the hub's retained catalog: the hall's opening hours (`display.hours`)."""
        self._hours = hours_from_catalog(catalog) if isinstance(catalog, Mapping) else HallHours()

    def apply_call(self, payload: Mapping[str, Any], mono: float) -> CallView | None:
        """Take a live call: shown large from `mono` on. None (nothing changed) if malformed."""
        try:
            call = parse_call(payload, masked_names=self.masked_names)
        except BadMessage as exc:
            self.rejected += 1
            _log.warning("call refused: %s", exc)
            return None
        self.show_call(call, mono)
        return call

    def show_call(self, call: CallView, mono: float) -> None:
        self._live.insert(0, call)
        del self._live[LIVE_KEPT:]
        self._current = call
        self._since = mono

    def end_highlight(self) -> None:
        """The current call joins the recent list now (the demo's end-of-day picture)."""
        self._current = None

    def set_link(self, up: bool) -> None:
        self._link_up = up

    @property
    def has_board(self) -> bool:
        return self._board is not None

    # -- output -------------------------------------------------------------------------------

    def highlighted(self, mono: float) -> CallView | None:
        if self._current is not None and mono - self._since < self.highlight_seconds:
            return self._current
        return None

    def screen(self, now: datetime, mono: float, service_rows: int = 8) -> Screen:
        current = self.highlighted(mono)
        flash_on = current is not None and int((mono - self._since) / FLASH_PERIOD_S) % 2 == 0
        services, page_text = self._page(mono, max(1, service_rows))
        board = self._board or {}
        notice = board.get("notice")
        return Screen(
            hall_name=self._hall_name,
            date_text=date_text(now),
            time_text=now.strftime("%H:%M"),
            current=current,
            flash_on=flash_on,
            recent=self._recent(current),
            services=services,
            page_text=page_text,
            paused=tuple(self._paused),
            closed=tuple(self._closed),
            notice=notice if isinstance(notice, str) else "",
            waiting_total=sum(s.waiting for s in self._services),
            link_lost=not self._link_up,
            has_board=self._board is not None,
            hall_closed=(self._hours.closed_text(now) or "") if self._all_closed else "",
        )

    def _recent(self, current: CallView | None) -> tuple[CallView, ...]:
        merged = sorted(
            [*self._live, *self._board_calls], key=lambda c: c.seq, reverse=True
        )  # stable: a live call and its board copy keep one place
        out: list[CallView] = []
        numbers = {current.number} if current is not None else set()
        for call in merged:
            if call.number in numbers:
                continue
            numbers.add(call.number)
            out.append(call)
            if len(out) == self.recent_calls:
                break
        return tuple(out)

    def _page(self, mono: float, rows: int) -> tuple[tuple[ServiceRow, ...], str]:
        pages = max(1, math.ceil(len(self._services) / rows))
        if self._first_screen is None:
            self._first_screen = mono
        if pages == 1:
            return tuple(self._services), ""
        page = int((mono - self._first_screen) // self.page_seconds) % pages
        return tuple(self._services[page * rows : (page + 1) * rows]), f"{page + 1}/{pages}"


def _parse_board(
    board: Mapping[str, Any], masked_names: bool
) -> tuple[list[CallView], list[ServiceRow], list[str], list[str]]:
    if not isinstance(board, Mapping):
        raise BadMessage("board: not an object")
    raw_calls = _list(board, "calls")
    raw_services = _list(board, "services")
    raw_counters = _list(board, "counters")
    calls = []
    for entry in raw_calls:
        if not isinstance(entry, Mapping):
            raise BadMessage("calls: an entry is not an object")
        calls.append(parse_call(entry, masked_names=masked_names))
    services = []
    for entry in raw_services:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise BadMessage("services: an entry without a name")
        waiting = entry.get("waiting", 0)
        if not isinstance(waiting, int) or isinstance(waiting, bool) or waiting < 0:
            raise BadMessage("services: waiting is not a count")
        open_counters = entry.get("open_counters")
        on_the_way = entry.get("on_the_way", 0)
        if not isinstance(on_the_way, int) or isinstance(on_the_way, bool) or on_the_way < 0:
            raise BadMessage("services: on_the_way is not a count")
        services.append(
            ServiceRow(
                code=str(entry.get("code", "")),
                name=entry["name"],
                waiting=waiting,
                estimate=estimate_text(waiting, entry.get("est_wait_min"), open_counters),
                open=not (isinstance(open_counters, int) and open_counters <= 0),
                on_the_way=min(on_the_way, waiting),
            )
        )
    services.sort(key=lambda row: not row.open)  # services being served first, in order
    paused, closed = [], []
    for entry in raw_counters:
        if not isinstance(entry, Mapping):
            raise BadMessage("counters: an entry is not an object")
        counter = str(entry.get("counter", "?"))
        try:
            name = own_name(counter, entry.get("name")) or f"{counter} 号窗口"
        except BadMessage:  # a name the screen cannot show: the counter's number instead
            name = f"{counter} 号窗口"
        if entry.get("state") == "paused":
            paused.append(name)
        elif entry.get("state") == "closed":
            closed.append(name)
    return calls, services, paused, closed


def _list(board: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = board.get(key, [])
    if not isinstance(value, list):
        raise BadMessage(f"{key}: not a list")
    return value
