"""How the technician's `hall queue …` reaches the hub: over the hall bus, like every role.

The hub is the one writer of the queue's database. A shell command connects to the hall's
Mosquitto (the config's [bus]) as the technician's device: `tool-local` on the hub's box, or
the identity in $HALL_DEVICE (a technician's own, enrolled with `hall device add`), with its
password from the config's credentials folder (readable by root only); the hub
authorises it as a tool (hub/authz.py),
sends its command with `HallClient` (an idempotency key, retried with the same key until the
deadline: it never acts twice) and reads the board from the hub's retained state.

With the hub down nothing is sent, or what is sent reaches nobody: the command is refused in
one line with exit status 5 (`EXIT_HUB`) and the queue is unchanged.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from hall.bus.interface import Message
from hall.bus.mqtt import MqttBus, hall_bus
from hall.core import commands as c
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, HubUnreachable, StateCache
from hall.settings import HallCommon

EXIT_HUB = 5
"""`hall queue …`: the hub is not running or cannot be reached; nothing was done."""

HUB_CLIENT_ID = "hub"
"""The client id `hall hub` connects with (its presence is `hall/v1/presence/hub`)."""

PRESENCE_WAIT_S = 1.0
"""How long to wait for the hub's retained presence after subscribing (it arrives at once
when the broker holds one; without one the request's own deadline decides)."""

_CHECK = "check `systemctl status hall-hub mosquitto`"


class HubDown(Exception):
    """The hub cannot take the command; the message is one line for the technician."""


def tool_client_id() -> str:
    """The technician's device id: $HALL_DEVICE, or `tool-local` (the hub box's own)."""
    device = os.environ.get("HALL_DEVICE", "").strip() or "tool-local"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", device):
        raise HubDown(f"HALL_DEVICE={device!r} is not a device id (1-64 of A-Z a-z 0-9 _ . -)")
    return device


def not_running(what: str) -> str:
    return f"集中控制(hub)未运行或连不上：命令未执行。{what}: nothing was done ({_CHECK})"


@dataclass(frozen=True)
class HubLink:
    """A connected tool on the hall bus: `client` for commands, `hub_status` as the hub's
    retained presence says ("up", "down", "lost", or None if the broker holds none)."""

    bus: MqttBus
    client: HallClient
    hub_status: str | None
    where: str
    timeout: float

    def run(self, cmd: c.Command) -> dict[str, object]:
        """Send a core command to the hub; `CommandRefused` when the rules refuse it,
        `HubDown` when the hub is not there to take it."""
        if self.hub_status in ("down", "lost"):
            raise HubDown(not_running(f"the hub is {self.hub_status} on {self.where}"))
        try:
            return self.client.run(cmd, timeout=self.timeout).to_dict()
        except HubUnreachable:
            if self.hub_status == "up":
                raise HubDown(
                    "集中控制(hub)无应答：命令未确认。The hub is up on "
                    f"{self.where} but did not answer within {self.timeout:g} s: the command "
                    "was not confirmed and is never carried out twice; `hall queue status` "
                    "shows whether it was (check `journalctl -u hall-hub -e`)"
                ) from None
            raise HubDown(
                not_running(f"no hub answered on {self.where} within {self.timeout:g} s")
            ) from None

    def state(self, topics: tuple[str, ...]) -> StateCache:
        return StateCache(self.bus, topics=topics)


def _hub_presence(bus: MqttBus, wait: float) -> str | None:
    got: list[str] = []
    seen = threading.Event()

    def on_presence(msg: Message) -> None:
        got.append(str(msg.payload.get("status", "")))
        seen.set()

    sub = bus.subscribe(p.presence_topic(HUB_CLIENT_ID), on_presence)
    try:
        seen.wait(wait)
    finally:
        sub.unsubscribe()
    return got[-1] if got else None


@contextmanager
def hub_link(cfg: HallCommon) -> Iterator[HubLink]:
    """Connect to the hall bus of `cfg` as a tool; `HubDown` if the broker does not answer.

    No presence (birth and will) is published: a tool lives a second, and a retained
    presence per process would pile up in the hub's `state/roles`."""
    where = f"{cfg.bus.host}:{cfg.bus.port}"
    timeout = cfg.bus.request_timeout_s
    # The link's own "cannot reach" warnings would only repeat the one line said below.
    link_log = logging.getLogger("hall.mqttlink")
    if link_log.getEffectiveLevel() >= logging.WARNING:
        link_log.setLevel(logging.ERROR)
    bus = hall_bus(cfg, tool_client_id())
    try:
        if not bus.wait_connected(timeout):
            raise HubDown(not_running(f"the hall bus (Mosquitto) at {where} does not answer"))
        status = _hub_presence(bus, min(PRESENCE_WAIT_S, timeout))
        client = HallClient(bus, timeout=timeout)
        yield HubLink(bus, client, status, where, timeout)
    finally:
        bus.close()
