"""Serial ports for the pad links: the one pyserial import of the master side.

:class:`SerialPort` gives the links the small ``Port`` surface they use and turns every
way a vanishing USB adapter can fail (``SerialException``, ``OSError`` EIO/ENODEV,
``termios.error``, a readable fd with no data) into :class:`PortGone`. :func:`keep_open`
runs a link on a port path, reopening it by path when the adapter disappears and comes
back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import termios
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class PortGone(OSError):
    """The serial port failed or disappeared (adapter unplugged)."""


class Port(Protocol):
    """A serial line (:class:`counter_pad.port.SerialPort`): ``read`` waits up to
    ``timeout`` seconds for data and returns what has arrived (at most ``size`` bytes),
    ``b""`` if nothing did; every failure of the line raises ``PortGone``."""

    def read(self, size: int, timeout: float) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def ask(self, data: bytes, size: int, timeout: float) -> bytes:
        """``write(data)``, then ``read(size, timeout)``: a whole transaction in one call."""
        ...


class Unplugged:
    """The port of a master whose adapter is not there (yet): every use fails."""

    def read(self, size: int, timeout: float) -> bytes:
        raise PortGone("no port")

    def write(self, data: bytes, /) -> int | None:
        raise PortGone("no port")

    def reset_input_buffer(self) -> None:
        raise PortGone("no port")

    def ask(self, data: bytes, size: int, timeout: float) -> bytes:
        raise PortGone("no port")


UNPLUGGED = Unplugged()


class SerialPort:
    """A serial port in raw 8N1. pyserial opens and configures it; reads and writes go to
    its file descriptor directly (select and os.read/os.write: a few system calls per frame,
    which matters at 115200 baud with 31 devices polled back to back)."""

    def __init__(self, path: str, baud: int) -> None:
        import serial

        self.path = path
        self._serial_error: type[Exception] = serial.SerialException
        try:
            self._port: Any = serial.Serial(path, baud, timeout=0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortGone(f"cannot open {path}: {exc}") from None
        self._fd: int = self._port.fd
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLIN)

    def read(self, size: int, timeout: float) -> bytes:
        """What arrives within ``timeout`` seconds (at most ``size`` bytes); b"" if nothing."""
        try:
            if not self._poll.poll(max(0, int(timeout * 1000 + 0.999))):
                return b""
            data = os.read(self._fd, size)
        except (OSError, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: read failed: {exc}") from None
        if not data:  # readable but nothing: the device is gone
            raise PortGone(f"{self.path}: the device disappeared")
        return data

    def write(self, data: bytes, /) -> int | None:
        try:
            done = os.write(self._fd, data)  # a request fits the tty buffer: all at once
        except BlockingIOError:
            done = 0
        except (OSError, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: write failed: {exc}") from None
        if done == len(data):
            return done
        view = memoryview(data)[done:]
        try:
            while view:
                try:
                    view = view[os.write(self._fd, view) :]
                except BlockingIOError:
                    select.select([], [self._fd], [], 0.1)
        except (OSError, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: write failed: {exc}") from None
        return len(data)

    def ask(self, data: bytes, size: int, timeout: float) -> bytes:
        """:meth:`write` then :meth:`read` in one call: the bus master's idle POLL, a few
        hundred times a second, costs three system calls and no more Python than this."""
        fd = self._fd
        try:
            sent = os.write(fd, data)
        except BlockingIOError:
            sent = 0
        except (OSError, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: write failed: {exc}") from None
        if sent != len(data):  # the tty took part of it: the slow way
            self.write(data[sent:])
        try:
            if not self._poll.poll(max(0, int(timeout * 1000 + 0.999))):
                return b""
            got = os.read(fd, size)
        except BlockingIOError:
            return b""
        except (OSError, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: read failed: {exc}") from None
        if not got:  # readable but nothing: the device is gone
            raise PortGone(f"{self.path}: the device disappeared")
        return got

    def reset_input_buffer(self) -> None:
        try:
            termios.tcflush(self._fd, termios.TCIFLUSH)
        except (OSError, termios.error, ValueError, TypeError) as exc:
            raise PortGone(f"{self.path}: flush failed: {exc}") from None

    def close(self) -> None:
        with contextlib.suppress(self._serial_error, OSError, termios.error):
            self._port.close()


class Attachable(Protocol):
    """A link that runs on a port until it fails, and can be moved to a new one."""

    def attach(self, port: Any) -> None: ...

    def detach(self) -> None: ...

    def run(self, stop: threading.Event) -> None: ...


Opener = Callable[[], SerialPort]


def keep_open(
    name: str,
    opener: Opener,
    link: Attachable,
    stop: threading.Event,
    retry_s: float = 1.0,
    on_port: Callable[[bool], None] | None = None,
) -> None:
    """Run ``link`` until ``stop``; when its port fails, reopen it by path every
    ``retry_s`` and carry on with the same link (its memory and displays intact)."""
    port: SerialPort | None = None
    missing_logged = False
    while not stop.is_set():
        try:
            port = opener()
        except PortGone as exc:
            if not missing_logged:
                log.warning("bus %s: %s; retrying every %.0f s", name, exc, retry_s)
                missing_logged = True
            stop.wait(retry_s)
            continue
        missing_logged = False
        log.info("bus %s: port %s open", name, port.path)
        if on_port is not None:
            on_port(True)
        link.attach(port)
        try:
            link.run(stop)
        except PortGone as exc:
            log.warning("bus %s: %s; the adapter is gone, waiting for it", name, exc)
            link.detach()
            if on_port is not None:
                on_port(False)
            stop.wait(retry_s)
        finally:
            port.close()
