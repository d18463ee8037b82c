"""A bus scan for the technician: which v1 addresses answer HELLO (contracts/pad-bus.md).

Uses the pads' own pure protocol code (counter_pad.frames_v1) and their serial port
wrapper; the port is opened exclusively, so a scan never talks over a running pad master.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from counter_pad import frames_v1 as v1

DEVICE_KINDS = {1: "call_pad", 2: "evaluator", 3: "display"}


class Port(Protocol):
    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def reset_input_buffer(self) -> None: ...


@dataclass(frozen=True)
class Found:
    address: int
    kind: str
    firmware: str
    model: str


def hello(
    port: Port,
    address: int,
    seq: int,
    baud: int,
    reply_timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> Found | None:
    request = v1.encode_hello(address, seq)
    rx = v1.Receiver()
    port.reset_input_buffer()
    port.write(request)
    deadline = clock() + v1.wire_time(len(request), baud) + reply_timeout
    started = False
    while clock() < deadline:
        data = port.read(rx.needed)
        frames = rx.feed(data) if data else []
        if data and not started:
            started = True
            deadline = clock() + v1.wire_time(v1.MAX_FRAME, baud) + reply_timeout
        for frame in frames:
            if frame.addr != address | v1.REPLY_BIT or frame.seq != seq:
                continue
            try:
                reply = v1.decode_reply(frame)
            except v1.FrameError:
                return None
            if isinstance(reply, v1.Info):
                return Found(
                    address,
                    DEVICE_KINDS.get(reply.device_type, f"type {reply.device_type}"),
                    f"{reply.fw_major}.{reply.fw_minor}",
                    reply.model,
                )
            return Found(address, "unknown", "", "")
    return None


def scan(
    port: Port,
    baud: int,
    addresses: Iterable[int] = range(1, 32),
    *,
    reply_timeout: float = 0.05,
    tries: int = 2,
) -> dict[int, Found]:
    """Ask each address HELLO (``tries`` times at most); the ones that answered."""
    port.timeout = 0.005
    found: dict[int, Found] = {}
    seq = 0
    for address in addresses:
        for _ in range(tries):
            seq = (seq + 1) & 0xFF
            got = hello(port, address, seq, baud, reply_timeout)
            if got is not None:
                found[address] = got
                break
    return found
