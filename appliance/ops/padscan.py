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
    """counter_pad.port.SerialPort's surface: ``read`` returns what arrives in ``timeout``."""

    def read(self, size: int, timeout: float) -> bytes: ...

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
    while (left := deadline - clock()) > 0:
        data = port.read(v1.MAX_FRAME, min(left, 0.005) if rx.pending else left)
        if data:
            if not started:
                started = True
                deadline = clock() + v1.wire_time(v1.MAX_FRAME, baud) + reply_timeout
            frames = rx.feed(data)
        elif rx.pending:
            frames = rx.abort()
        else:
            continue
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
    expected: Iterable[int] = (),
) -> dict[int, Found]:
    """Ask each address HELLO, once, or ``tries`` times for the ``expected`` ones (a missed
    reply on a busy line is not a missing device); the ones that answered."""
    found: dict[int, Found] = {}
    seq = 0
    wanted = set(expected)
    for address in addresses:
        for _ in range(tries if address in wanted else 1):
            seq = (seq + 1) & 0xFF
            got = hello(port, address, seq, baud, reply_timeout)
            if got is not None:
                found[address] = got
                break
    return found
