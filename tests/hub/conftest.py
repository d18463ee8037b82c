"""A hub on the in-process bus with a spy that checks every message against the schemas."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.local import LocalHall
from hall.bus.interface import Message
from hall.core.timekeeping import FixedClock
from hall.hubapi.validate import definition_for, problems
from tests.conftest import at


class Spy:
    """Sees every message on the bus; collects schema problems and the messages by topic."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        self.bad: list[str] = []

    def __call__(self, msg: Message) -> None:
        definition = definition_for(msg.topic)
        with self.lock:
            self.messages.append(msg)
            if definition is None:
                return
            found = problems(definition, msg.payload)
            if not found and definition == "request":
                name = msg.topic.rsplit("/", 1)[1]
                args = msg.payload["args"]
                if _known(name):
                    found = problems(f"{name}_args", args)
            if found and not msg.topic.startswith(("hall/v1/cmd/", "hall/v1/presence/")):
                # requests and presence come from other roles (tests send bad ones on
                # purpose); everything the hub sends must be valid
                self.bad.append(f"{msg.topic}: {found}")

    def on(self, topic: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m.payload for m in self.messages if m.topic == topic]


def _known(name: str) -> bool:
    from hall.hubapi.protocol import COMMANDS

    return name in COMMANDS


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at("09:30"))


@pytest.fixture
def local(tmp_path: Path, clock: FixedClock) -> Iterator[LocalHall]:
    with LocalHall(tmp_path, clock=clock) as hall:
        yield hall


@pytest.fixture
def spy(local: LocalHall) -> Iterator[Spy]:
    s = Spy()
    bus = local.bus("spy", "tool")
    bus.subscribe("#", s)
    yield s
    assert not s.bad, "the hub sent messages that fail the schemas:\n" + "\n".join(s.bad)
