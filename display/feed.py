"""From the hall bus to the display: retained board, live calls, link state (no Qt here).

- The hub's retained board comes through `hall.hubapi.client.StateCache`, so a display that
  starts (or reconnects) shows the current state at once.
- Live calls come from `hall/v1/event/call` only, never from the board's list of calls: a
  display that restarts does not repeat calls made before it started. A message delivered
  twice (MQTT QoS 1) acts once (`SeenCalls`), and a retained copy on that topic (which the
  hub never makes) is ignored.
- The retained catalog goes to `on_catalog` (the hall's opening hours, for the words on
  the screen when every counter is closed).
- Every live call goes to the screen (`on_call`) and to the announcer, whose `announce()`
  only queues. Callbacks run on the bus's thread: the Qt side passes them on by signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from drivers.speech import Call
from hall.bus.interface import Bus, Message, Subscription
from hall.hubapi import protocol as p
from hall.hubapi.client import StateCache

from .calls import BadMessage, CallView, SeenCalls, parse_call

_log = logging.getLogger(__name__)

BoardCallback = Callable[[dict[str, Any]], None]
CallCallback = Callable[[CallView, float], None]  # the call and time.monotonic() at receipt
LinkCallback = Callable[[bool], None]


class Announces(Protocol):
    def announce(self, call: Call) -> bool:
        """Queue `call` without waiting (the announcer); ValueError for a malformed one."""
        ...


class DisplayFeed:
    def __init__(
        self,
        bus: Bus,
        *,
        on_board: BoardCallback,
        on_call: CallCallback,
        on_link: LinkCallback,
        announcer: Announces | None = None,
        masked_names: bool = False,
        on_catalog: BoardCallback | None = None,
    ) -> None:
        self.bus = bus
        self.announcer = announcer
        self.masked_names = masked_names
        self.counts = {"calls": 0, "duplicates": 0, "refused": 0, "retained_ignored": 0}
        self._on_board = on_board
        self._on_call = on_call
        self._on_link = on_link
        self._on_catalog = on_catalog
        self._seen = SeenCalls()
        self._lock = threading.Lock()
        self._cache: StateCache | None = None
        self._sub: Subscription | None = None
        self._closed = False

    def start(self) -> None:
        """Subscribe; the retained board (if any) is delivered at once, on the bus thread."""
        self._sub = self.bus.subscribe(p.CALL_EVENT, self._call_message)
        self._cache = StateCache(self.bus, on_change=self._state_message)
        self._cache.on_link(self._link_changed)
        self._on_link(self.bus.is_connected)
        catalog = self._cache.catalog
        if catalog is not None and self._on_catalog is not None:
            self._on_catalog(catalog)
        board = self._cache.board
        if board is not None:  # delivered before our callback could see it (in-process bus)
            self._on_board(board)

    @property
    def board(self) -> dict[str, Any] | None:
        return self._cache.board if self._cache is not None else None

    def close(self) -> None:
        """Stop passing anything on (the bus may live on and still report its link)."""
        self._closed = True
        if self._sub is not None:
            self._sub.unsubscribe()
        if self._cache is not None:
            self._cache.close()

    def _link_changed(self, up: bool) -> None:
        if not self._closed:
            self._on_link(up)

    def _state_message(self, topic: str, payload: dict[str, Any]) -> None:
        if self._closed or not payload:
            return
        if topic == p.BOARD:
            self._on_board(payload)
        elif topic == p.CATALOG and self._on_catalog is not None:
            self._on_catalog(payload)

    def _call_message(self, msg: Message) -> None:
        received = time.monotonic()
        if self._closed:
            return
        if msg.retained:
            self.counts["retained_ignored"] += 1
            return
        try:
            call = parse_call(msg.payload, masked_names=self.masked_names)
        except BadMessage as exc:
            self.counts["refused"] += 1
            _log.warning("call message refused: %s", exc)
            return
        with self._lock:
            if not self._seen.first_time(call):
                self.counts["duplicates"] += 1
                return
            self.counts["calls"] += 1
        self._on_call(call, received)
        if self.announcer is not None:
            try:
                self.announcer.announce(call.to_speech())
            except ValueError as exc:  # a counter name the reading rules refuse
                self.counts["refused"] += 1
                _log.warning("call %s shown but not announced: %s", call.seq, exc)
