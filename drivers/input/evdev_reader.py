"""Keyboard-wedge scanners and keypads through evdev: grab, decode, survive unplugging.

``EvdevInput`` runs one thread per device. It opens the device (a fixed path, best a
``/dev/input/by-id/...`` link, or the first device whose name contains ``match_name``),
grabs it so the scanned keys reach the kiosk alone and never the screen's focused widget,
decodes key events (``drivers.input.decoder``) and hands each result to ``on_input``. When
the device disappears (read fails with ENODEV or EIO) it reports ``unplugged``, forgets any
partial line and tries to open it again every ``retry_s`` until it is back (``ready``).

The open function is the seam: tests and the demo pass one returning a
``drivers.input.simulator.SimulatedDevice``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
from collections.abc import Callable
from typing import Any

from drivers.input.base import InputSource, InputState
from drivers.input.decoder import KeyDecoder, LineDecoder

log = logging.getLogger(__name__)

Opener = Callable[[], Any]


def evdev_opener(path: str = "", match_name: str = "") -> Opener:
    """Opens ``path``, or the first input device whose name contains ``match_name``."""

    def open_device() -> Any:
        import evdev

        if path:
            return evdev.InputDevice(path)
        for candidate in evdev.list_devices():
            try:
                device = evdev.InputDevice(candidate)
            except OSError:
                continue
            if match_name in device.name:
                return device
            device.close()
        raise FileNotFoundError(errno.ENOENT, f"no input device named like {match_name!r}")

    return open_device


class EvdevInput(InputSource):
    def __init__(
        self,
        name: str,
        opener: Opener,
        decoder: LineDecoder | KeyDecoder,
        *,
        grab: bool = True,
        retry_s: float = 2.0,
        on_input: Callable[[str, Any], None],
        on_state: Callable[[str, InputState, str], None] | None = None,
    ) -> None:
        super().__init__(name, on_input=on_input, on_state=on_state, retry_s=retry_s)
        self._opener = opener
        self.decoder = decoder
        self._grab = grab
        self._wake_r, self._wake_w = os.pipe()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")

    def _close_wake(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _session(self) -> None:
        try:
            device = self._opener()
        except OSError as exc:
            self._set_state(InputState.ABSENT, f"cannot open: {exc.strerror or exc}")
            return
        try:
            if self._grab:
                try:
                    device.grab()
                except OSError as exc:
                    self._set_state(InputState.BUSY, f"cannot grab: {exc.strerror or exc}")
                    return
            self.decoder.reset()
            self._set_state(InputState.READY, getattr(device, "name", ""))
            self._read(device)
        finally:
            self._release(device)

    def _read(self, device: Any) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([device.fd, self._wake_r], [], [], 1.0)
            if self._wake_r in ready:
                return
            if device.fd not in ready:
                continue
            try:
                events = list(device.read())
            except BlockingIOError:
                continue
            except OSError as exc:
                self._set_state(InputState.UNPLUGGED, exc.strerror or str(exc))
                return
            for event in events:
                for result in self.decoder.feed(event):
                    self._deliver(result)

    @staticmethod
    def _release(device: Any) -> None:
        for action in ("ungrab", "close"):
            with contextlib.suppress(OSError):
                getattr(device, action)()
