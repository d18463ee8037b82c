"""What the master remembers per device, kept outside the master so it can outlive it.

The hub backs :class:`PadMemory` with SQLite and writes the cursor in the same
transaction as the action a key caused (docs/PAD_PROTOCOL.md, "Exactly once").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PadCursor:
    """The device's boot id and the last event number taken under it (0 = none yet)."""

    boot_id: int
    last_event: int = 0


class PadMemory(Protocol):
    def get(self, bus: str, address: int) -> PadCursor | None: ...

    def put(self, bus: str, address: int, cursor: PadCursor) -> None: ...


class InMemoryPadMemory:
    """A dict behind a lock; for tests and the demo."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, int], PadCursor] = {}

    def get(self, bus: str, address: int) -> PadCursor | None:
        with self._lock:
            return self._data.get((bus, address))

    def put(self, bus: str, address: int, cursor: PadCursor) -> None:
        with self._lock:
            self._data[(bus, address)] = cursor
