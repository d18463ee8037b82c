"""Abstract key events that both pad profiles produce.

A profile decoder turns wire bytes into a :class:`KeyPress` (what was pressed); the bus
master stamps it with where and when it came from and turns it into a :class:`KeyEvent`,
whose :attr:`KeyEvent.idempotency_key` the hub stores with the action it caused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Key(IntEnum):
    """Key codes; 0x01-0x0C and 0x21-0x26 are the v1 wire codes (contracts/pad-bus.md)."""

    CALL_NEXT = 0x01
    RECALL = 0x02
    SKIP = 0x03
    TRANSFER = 0x04
    PAUSE = 0x05
    RESUME = 0x06
    FINISH = 0x07
    START = 0x08
    LOGIN = 0x09
    LOGOUT = 0x0A
    CALL_NUMBER = 0x0B
    EVAL_REQUEST = 0x0C
    RATING_1 = 0x21
    RATING_2 = 0x22
    RATING_3 = 0x23
    RATING_4 = 0x24
    RATING_5 = 0x25
    NO_RATING = 0x26
    # Not on the v1 wire: only the legacy profile can express these (docs/PAD_PROTOCOL.md).
    HOLD = 0x40
    CALL_BACK = 0x41


#: Keys a v1 device may send; anything else on the wire is refused and counted.
V1_WIRE_KEYS = frozenset(k for k in Key if k < 0x40)
#: Keys whose ARG is required (non-empty).
KEYS_WITH_ARG = frozenset({Key.TRANSFER, Key.LOGIN, Key.CALL_NUMBER})
RATINGS = {Key.RATING_1: 1, Key.RATING_2: 2, Key.RATING_3: 3, Key.RATING_4: 4, Key.RATING_5: 5}
MAX_ARG = 8


@dataclass(frozen=True)
class KeyPress:
    """What was pressed, independent of the profile and of the device."""

    key: Key
    arg: str = ""

    def __post_init__(self) -> None:
        if len(self.arg) > MAX_ARG or not self.arg.isascii():
            raise ValueError(f"key ARG must be at most {MAX_ARG} ASCII characters: {self.arg!r}")


@dataclass(frozen=True)
class KeyEvent:
    """One press on one device, delivered to the hub exactly once.

    ``boot_id`` and ``event_no`` are the device's own (v1; a session number and the link's
    count for devices without them). ``epoch``, ``serial`` and ``memory`` are the master's:
    ``epoch`` is stamped when the master first meets a boot id (the hall day, YYYYMMDD),
    ``serial`` counts the events the master took from the device (past the wire's 1-255
    wrap, and on across the device's boots: a reboot may draw the same boot id on the
    same day), and ``memory`` is
    the generation of the master's memory file (random, drawn when the file is made): a
    master that lost its memory counts serials from the wire number again, and without a
    new generation its keys would repeat keys the hub already holds. Together they make
    :attr:`idempotency_key` unique over the hall's whole history (docs/PAD_PROTOCOL.md,
    "Idempotency keys").
    """

    bus: str
    address: int
    boot_id: int
    event_no: int
    key: Key
    arg: str = ""
    epoch: int = 0
    serial: int = 0
    memory: int = 0

    @property
    def idempotency_key(self) -> str:
        """``pad/<bus>/<address>/<boot>-<epoch>-<memory>/<n>``: n the serial (the wire
        number if 0), memory in hex (left out when 0, as before generations existed)."""
        n = self.serial or self.event_no
        gen = f"-{self.memory:08x}" if self.memory else ""
        return f"pad/{self.bus}/{self.address}/{self.boot_id}-{self.epoch}{gen}/{n}"

    @property
    def rating(self) -> int | None:
        """The 1-5 rating of an evaluator key, else None."""
        return RATINGS.get(self.key)
