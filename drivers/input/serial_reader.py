"""A scanner in USB serial (CDC/virtual COM) mode, through pyserial.

The scanner sends each scan as bytes ended by CR, LF or CR LF. ``SerialInput`` reads lines
(a line longer than ``MAX_LINE`` is dropped), survives the port going away (pyserial raises
on read: ``unplugged``) and reopens it every ``retry_s``. ``port`` may be a pyserial URL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from drivers.input.base import InputSource, InputState
from drivers.input.decoder import MAX_LINE, Rejected, Scan

log = logging.getLogger(__name__)


class SerialInput(InputSource):
    def __init__(
        self,
        name: str,
        port: str,
        *,
        baudrate: int = 9600,
        min_length: int = 1,
        retry_s: float = 2.0,
        read_timeout: float = 0.2,
        on_input: Callable[[str, Any], None],
        on_state: Callable[[str, InputState, str], None] | None = None,
    ) -> None:
        super().__init__(name, on_input=on_input, on_state=on_state, retry_s=retry_s)
        self.port = port
        self.baudrate = baudrate
        self.min_length = min_length
        self.read_timeout = read_timeout

    def _session(self) -> None:
        import serial

        try:
            link = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._set_state(InputState.ABSENT, f"cannot open {self.port}: {exc}")
            return
        try:
            self._set_state(InputState.READY, self.port)
            buffer = bytearray()
            while not self._stopping.is_set():
                try:
                    chunk = link.read(256)
                except (serial.SerialException, OSError) as exc:
                    self._set_state(InputState.UNPLUGGED, str(exc))
                    return
                if not chunk:
                    continue
                buffer += chunk
                self._lines(buffer)
        finally:
            with contextlib.suppress(serial.SerialException, OSError):
                link.close()

    def _lines(self, buffer: bytearray) -> None:
        while True:
            ends = [i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0]
            if not ends:
                if len(buffer) > MAX_LINE:
                    self._deliver(Rejected("too_long", len(buffer)))
                    buffer.clear()
                return
            end = min(ends)
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if not line:
                continue  # the LF of a CR LF
            text = line.decode("utf-8", errors="replace")
            if len(text) < self.min_length:
                self._deliver(Rejected("too_short", len(text)))
            else:
                self._deliver(Scan(text, len(text), 0.0))
