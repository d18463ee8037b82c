"""What a role (kiosk, display, pad bus, sync, tools) uses to reach the hub over the hall bus.

`HallClient.execute` sends one command with an idempotency key and retries it with the same
key until its deadline, so a lost request or reply never acts twice and a hub restart in the
middle is survived. `StateCache` keeps the hub's retained state for screens and pads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from hall.bus.interface import (
    Bus,
    BusRemoteError,
    BusTimeout,
    BusUnavailable,
    JsonObject,
    LastMessage,
    Message,
)
from hall.core import commands as c
from hall.core import results as rs
from hall.hubapi import protocol as p

log = logging.getLogger(__name__)
R = TypeVar("R", bound=rs.Result)


class CommandRefused(Exception):
    """The hub refused the command; nothing changed. `message` is Chinese, for the person."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.hint = hint


class HubUnreachable(Exception):
    """No answer from the hub before the deadline. The command may or may not have acted:
    retry it with the same key to find out (it never acts twice)."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"the hub did not answer ({why}); key {key}")
        self.key = key


def presence(client_id: str, role: str, **info: Any) -> tuple[LastMessage, LastMessage]:
    """The birth and will messages a role's bus connects with."""
    assert role in p.ROLE_KINDS, role
    topic = p.presence_topic(client_id)
    birth = LastMessage(topic, {"role": role, "status": "up", **info})
    will = LastMessage(topic, {"role": role, "status": "lost", **info})
    return birth, will


class HallClient:
    """Commands to the hub. Thread-safe; `execute` blocks, so call it off a GUI thread."""

    def __init__(self, bus: Bus, *, timeout: float = 3.0, attempt_timeout: float = 1.0) -> None:
        self.bus = bus
        self.timeout = timeout
        self.attempt_timeout = attempt_timeout
        self._n = 0
        self._lock = threading.Lock()
        self._boot = uuid.uuid4().hex[:8]

    def new_key(self) -> str:
        """A key unique to this client and process: `<client id>/<boot>/<n>`."""
        with self._lock:
            self._n += 1
            return f"{self.bus.client_id}/{self._boot}/{self._n}"

    def execute(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
    ) -> JsonObject:
        """Run command `name` (see `protocol.COMMANDS`) and return its result.

        Raises `CommandRefused` when the queue rules (or the request's form) refuse it and
        `HubUnreachable` when no reply came before the deadline.
        """
        key = key or self.new_key()
        budget = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        payload = {
            "key": key,
            "ttl_ms": int(budget * 1000),
            "args": args or {},
        }
        topic = p.cmd_topic(self.bus.client_id, name)
        why = "no attempt"
        attempt = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HubUnreachable(key, why)
            attempt += 1
            try:
                reply = self.bus.request(
                    topic, payload, timeout=min(left, self.attempt_timeout * attempt)
                )
            except BusTimeout:
                why = "timeout"
                continue
            except BusUnavailable:
                why = "not connected"
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
                continue
            except BusRemoteError:
                why = "hub fault"
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
                continue
            return self._result(reply)

    def run(self, cmd: c.Cmd[R], *, key: str | None = None, timeout: float | None = None) -> R:
        """Run a core command (hall.core.commands) through the hub; its typed result.

        Raises like `execute`, and `CommandRefused` (hub_fault) for a result that does not
        read as the command's result record."""
        name, args = p.command_args(cmd)
        raw = self.execute(name, args, key=key, timeout=timeout)
        try:
            return cast(R, type(cmd).RESULT.from_dict(raw))
        except ValueError as exc:
            raise CommandRefused(p.HUB_FAULT, "系统繁忙，请稍后再试", str(exc)[:200]) from None

    @staticmethod
    def _result(reply: JsonObject) -> JsonObject:
        if reply.get("ok") is True and isinstance(reply.get("result"), dict):
            result: JsonObject = reply["result"]
            return result
        err = reply.get("error")
        if isinstance(err, dict):
            raise CommandRefused(
                str(err.get("code", "refused")),
                str(err.get("message", "")),
                str(err.get("hint", "")),
            )
        raise CommandRefused(p.HUB_FAULT, "系统繁忙，请稍后再试", "malformed reply from the hub")


StateCallback = Callable[[str, JsonObject], None]


class StateCache:
    """The hub's retained state as last seen: board, catalog, counters, roles.

    `on_change(topic, payload)` runs on the bus thread for every update (an empty payload
    `{}` when a retained state was cleared); `on_link(up)` on every link change. A screen
    keeps showing the last state while the link is down and marks it as stale.

    `topics`: the topic patterns to follow, all of the hub's state by default
    (`DEFAULT_TOPICS`). A role that needs a part only (the pads: the catalog and their
    own counters) subscribes to that, so the bus neither delivers nor decodes the rest.
    """

    DEFAULT_TOPICS: tuple[str, ...] = (
        p.BOARD,
        p.CATALOG,
        p.ROLES,
        p.DEVICES,
        p.COUNTER_PATTERN,
    )

    def __init__(
        self,
        bus: Bus,
        on_change: StateCallback | None = None,
        topics: Iterable[str] | None = None,
    ) -> None:
        self.bus = bus
        self._lock = threading.Lock()
        self._state: dict[str, JsonObject] = {}
        self._callbacks: list[StateCallback] = [on_change] if on_change else []
        self._link: list[Callable[[bool], None]] = []
        self.connected = bus.is_connected
        self.updated_at: float | None = None
        bus.on_connection(self._on_link)
        wanted = self.DEFAULT_TOPICS if topics is None else tuple(dict.fromkeys(topics))
        self._subs = [bus.subscribe(t, self._on_message) for t in wanted]

    def add_callback(self, cb: StateCallback) -> None:
        self._callbacks.append(cb)

    def on_link(self, cb: Callable[[bool], None]) -> None:
        self._link.append(cb)

    def get(self, topic: str) -> JsonObject | None:
        with self._lock:
            return self._state.get(topic)

    @property
    def board(self) -> JsonObject | None:
        return self.get(p.BOARD)

    @property
    def catalog(self) -> JsonObject | None:
        return self.get(p.CATALOG)

    def counter(self, counter_id: str) -> JsonObject | None:
        return self.get(p.counter_topic(counter_id))

    def wait_for(self, topic: str, timeout: float) -> JsonObject | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.get(topic)
            if got is not None:
                return got
            time.sleep(0.01)
        return None

    def close(self) -> None:
        for s in self._subs:
            s.unsubscribe()

    def _on_message(self, msg: Message) -> None:
        with self._lock:
            if msg.payload:
                self._state[msg.topic] = msg.payload
            else:
                self._state.pop(msg.topic, None)
            self.updated_at = time.time()
        for cb in list(self._callbacks):
            cb(msg.topic, msg.payload)

    def _on_link(self, up: bool) -> None:
        self.connected = up
        for cb in list(self._link):
            cb(up)
