"""What both pad profiles' frame finders share: a byte buffer fed in chunks, noise dropped
and counted, an abort that salvages complete frames after an inter-byte gap."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

F = TypeVar("F")


class ByteReceiver(ABC, Generic[F]):
    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0  # bytes discarded as noise or bad frames

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def feed(self, data: bytes) -> list[F]:
        self._buf += data
        return self._scan(final=False)

    def abort(self) -> list[F]:
        """End of a burst: salvage complete frames, discard the unfinished rest."""
        frames = self._scan(final=True)
        self.dropped += len(self._buf)
        self._buf.clear()
        return frames

    def _drop(self, n: int) -> None:
        del self._buf[:n]
        self.dropped += n

    @abstractmethod
    def _scan(self, final: bool) -> list[F]:
        """Take every complete good frame off the front of the buffer."""
