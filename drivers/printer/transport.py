"""The printer's one raw seam: write bytes, read a status reply, each with a deadline.

Every failure to move bytes becomes a ``PrinterError`` with a reason (timeout, offline), so a
stalled or unplugged printer never hangs the caller.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any, Protocol

from drivers.printer.errors import FailureReason, PrinterError

log = logging.getLogger(__name__)


class Transport(Protocol):
    """A link to one printer. ``timeout`` values are seconds; reads return what arrived."""

    @property
    def describe(self) -> str:
        """Where the printer is, for logs and the technician screen."""
        ...

    def open(self, timeout: float) -> None:
        """Connect, or do nothing when already connected."""

    def write(self, data: bytes, timeout: float) -> None:
        """Send all of ``data`` within ``timeout`` or raise ``PrinterError``."""

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes that arrive within ``timeout``; ``b""`` when none did."""
        ...

    def discard_input(self) -> None:
        """Drop bytes waiting to be read (late replies to an earlier query)."""

    def close(self) -> None:
        """Disconnect; the next ``open`` reconnects."""


class NetworkTransport:
    """A raw TCP printer (port 9100) with connect, write and read deadlines."""

    def __init__(self, host: str, port: int = 9100) -> None:
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None

    @property
    def describe(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def open(self, timeout: float) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except TimeoutError:
            raise PrinterError(
                FailureReason.TIMEOUT, f"{self.describe}: no connection within {timeout:g} s"
            ) from None
        except OSError as exc:
            raise PrinterError(
                FailureReason.OFFLINE, f"{self.describe}: cannot connect ({exc.strerror or exc})"
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def write(self, data: bytes, timeout: float) -> None:
        sock = self._connected()
        try:
            sock.settimeout(timeout)
            sock.sendall(data)
        except TimeoutError:
            self.close()  # the job is cut in the middle: never reuse this connection
            raise PrinterError(
                FailureReason.TIMEOUT,
                f"{self.describe}: printer took no data for {timeout:g} s (stalled)",
            ) from None
        except OSError as exc:
            self.close()
            raise PrinterError(
                FailureReason.OFFLINE, f"{self.describe}: connection lost ({exc.strerror or exc})"
            ) from None

    def read(self, size: int, timeout: float) -> bytes:
        sock = self._connected()
        deadline = time.monotonic() + timeout
        got = b""
        while len(got) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                sock.settimeout(remaining)
                chunk = sock.recv(size - len(got))
            except TimeoutError:
                break
            except OSError as exc:
                self.close()
                raise PrinterError(
                    FailureReason.OFFLINE, f"{self.describe}: connection lost ({exc})"
                ) from None
            if not chunk:
                self.close()
                raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: printer hung up")
            got += chunk
        return got

    def discard_input(self) -> None:
        sock = self._sock
        if sock is None:
            return
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.close()
        else:
            self.close()  # recv returned b"": the printer hung up
        finally:
            if self._sock is not None:
                self._sock.setblocking(True)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: not connected")
        return self._sock


class SerialTransport:
    """A serial (RS-232 or USB-serial) printer through pyserial; ``port`` may be a pyserial URL."""

    def __init__(self, port: str, baudrate: int = 9600) -> None:
        self.port = port
        self.baudrate = baudrate
        self._serial: Any = None

    @property
    def describe(self) -> str:
        return f"serial:{self.port}@{self.baudrate}"

    def open(self, timeout: float) -> None:
        if self._serial is not None:
            return
        import serial

        try:
            self._serial = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=timeout, write_timeout=timeout
            )
        except (serial.SerialException, ValueError) as exc:
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: {exc}") from None

    def write(self, data: bytes, timeout: float) -> None:
        import serial

        port = self._opened()
        try:
            port.write_timeout = timeout
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException:
            self.close()
            raise PrinterError(
                FailureReason.TIMEOUT, f"{self.describe}: printer took no data for {timeout:g} s"
            ) from None
        except serial.SerialException as exc:
            self.close()
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: {exc}") from None

    def read(self, size: int, timeout: float) -> bytes:
        import serial

        port = self._opened()
        try:
            port.timeout = timeout
            return bytes(port.read(size))
        except serial.SerialException as exc:
            self.close()
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: {exc}") from None

    def discard_input(self) -> None:
        if self._serial is not None:
            self._serial.reset_input_buffer()

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            port.close()

    def _opened(self) -> Any:
        if self._serial is None:
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: not open")
        return self._serial


class UsbTransport:
    """A USB printer class device through python-escpos' ``Usb`` (which needs pyusb)."""

    def __init__(self, vendor_id: int, product_id: int, in_ep: int = 0x82, out_ep: int = 0x01):
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.in_ep = in_ep
        self.out_ep = out_ep
        self._usb: Any = None

    @property
    def describe(self) -> str:
        return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"

    def open(self, timeout: float) -> None:
        if self._usb is not None:
            return
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterError(
                FailureReason.OFFLINE, f"{self.describe}: pyusb is not installed on this box"
            )
        usb = Usb(
            self.vendor_id,
            self.product_id,
            timeout=int(timeout * 1000),
            in_ep=self.in_ep,
            out_ep=self.out_ep,
        )
        try:
            usb.open()
        except Exception as exc:  # escpos raises its own USBNotFoundError, or usb.core errors
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: {exc}") from None
        self._usb = usb

    def write(self, data: bytes, timeout: float) -> None:
        usb = self._opened()
        try:
            usb.device.write(self.out_ep, data, int(timeout * 1000))
        except Exception as exc:  # usb.core.USBTimeoutError or USBError
            self.close()
            reason = (
                FailureReason.TIMEOUT
                if "timeout" in type(exc).__name__.lower()
                else (FailureReason.OFFLINE)
            )
            raise PrinterError(reason, f"{self.describe}: write failed ({exc})") from None

    def read(self, size: int, timeout: float) -> bytes:
        usb = self._opened()
        try:
            return bytes(usb.device.read(self.in_ep, size, int(timeout * 1000)))
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower():
                return b""
            self.close()
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: read failed") from exc

    def discard_input(self) -> None:
        if self._usb is not None:
            self.read(64, 0.01)

    def close(self) -> None:
        usb, self._usb = self._usb, None
        if usb is not None:
            usb.close()

    def _opened(self) -> Any:
        if self._usb is None:
            raise PrinterError(FailureReason.OFFLINE, f"{self.describe}: not open")
        return self._usb
