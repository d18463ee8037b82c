"""The ticket printer the kiosk uses: status with a deadline, print, status again.

``Printer`` turns every printer fault into a ``PrintResult`` and never raises for one, so the
kiosk can void the ticket (or keep it for reprint), show the number on screen and report the
fault. The transport is chosen by a config name: usb, serial, network or simulator.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from drivers.printer import status as dle
from drivers.printer.errors import FailureReason, PrinterConfigError, PrinterError
from drivers.printer.profiles import DEFAULT_80MM, PrinterProfile, get_profile
from drivers.printer.simulator import SimulatedPrinter, SimulatorTransport
from drivers.printer.status import PrinterState, PrinterStatus
from drivers.printer.ticket import CUTS, TicketPrint, build_test_page, build_ticket
from drivers.printer.transport import NetworkTransport, SerialTransport, Transport, UsbTransport

log = logging.getLogger(__name__)

KINDS = ("usb", "serial", "network", "simulator")

_STATE_REASON = {
    PrinterState.PAPER_OUT: FailureReason.PAPER_OUT,
    PrinterState.COVER_OPEN: FailureReason.COVER_OPEN,
    PrinterState.OFFLINE: FailureReason.OFFLINE,
    PrinterState.ERROR: FailureReason.ERROR,
    PrinterState.UNKNOWN: FailureReason.UNKNOWN,
}


@dataclass(frozen=True)
class Deadlines:
    """Seconds allowed for connecting, sending one job, and one whole status query."""

    connect: float = 2.0
    write: float = 5.0
    status: float = 1.0


@dataclass(frozen=True)
class PrintResult:
    """The outcome of one job. ``sent`` is True when every byte reached the printer's link:
    a failed result with ``sent`` may have printed (offer a reprint, not a second ticket)."""

    ok: bool
    reason: FailureReason | None
    detail: str
    sent: bool
    status_before: PrinterStatus
    status_after: PrinterStatus
    job: bytes = field(repr=False)


@dataclass(frozen=True)
class PrinterConfig:
    """Typed printer settings; ``kind`` is one of ``KINDS``, ``cut`` one of ``CUTS``."""

    kind: str = "simulator"
    profile: str = DEFAULT_80MM.name
    host: str = "127.0.0.1"
    port: int = 9100
    serial_port: str = "/dev/ttyUSB0"
    baudrate: int = 9600
    usb_vendor: int = 0
    usb_product: int = 0
    deadlines: Deadlines = Deadlines()
    cut: str = "full"


class PrinterSettings(Protocol):
    """The config file's printer section (kiosk.settings.PrinterSection) as read here."""

    @property
    def kind(self) -> str: ...
    @property
    def profile(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def serial_port(self) -> str: ...
    @property
    def baudrate(self) -> int: ...
    @property
    def usb_vendor(self) -> int: ...
    @property
    def usb_product(self) -> int: ...
    @property
    def connect_s(self) -> float: ...
    @property
    def write_s(self) -> float: ...
    @property
    def status_s(self) -> float: ...
    @property
    def cut(self) -> str: ...


KIND_ALIASES = {"sim": "simulator"}


def printer_config(section: PrinterSettings, kind: str | None = None) -> PrinterConfig:
    """The driver's settings from the config's ``[kiosk.printer]`` section; ``kind``
    (``hall kiosk --printer``, "sim" for short) overrides the section's."""
    chosen = KIND_ALIASES.get(kind or "", kind) or section.kind
    return PrinterConfig(
        kind=chosen,
        profile=section.profile,
        host=section.host,
        port=section.port,
        serial_port=section.serial_port,
        baudrate=section.baudrate,
        usb_vendor=section.usb_vendor,
        usb_product=section.usb_product,
        deadlines=Deadlines(section.connect_s, section.write_s, section.status_s),
        cut=section.cut,
    )


class Printer:
    """One ticket printer behind a ``Transport``; thread-safe, one job at a time."""

    def __init__(
        self,
        transport: Transport,
        profile: PrinterProfile,
        deadlines: Deadlines = Deadlines(),
        cut: str = "full",
    ) -> None:
        if cut not in CUTS:
            raise PrinterConfigError(f"unknown cut {cut!r}; allowed: {', '.join(CUTS)}")
        self.transport = transport
        self.profile = profile
        self.deadlines = deadlines
        self.cut = cut
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        """The printer's state, asked with DLE EOT within ``deadlines.status``; never raises."""
        with self._lock:
            return self._status()

    def print_ticket(
        self, ticket: TicketPrint, on_sent: Callable[[], None] | None = None
    ) -> PrintResult:
        """Print ``ticket``: status first, then the bytes, then status again."""
        return self.print_job(build_ticket(ticket, self.profile, self.cut), on_sent)

    def print_test_page(self, lines: list[str]) -> PrintResult:
        """The technician's test page (测试样张: no number, no QR code) with ``lines``."""
        return self.print_job(build_test_page(self.profile, lines, self.cut))

    def print_job(self, job: bytes, on_sent: Callable[[], None] | None = None) -> PrintResult:
        """Send ready-made ESC/POS ``job`` bytes between two status checks; never raises.

        ``on_sent`` is called once every byte has reached the link, before the status check
        after the job (the kiosk's journal notes that the ticket may now be in a hand).
        """
        with self._lock:
            return self._print(job, on_sent)

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    def _print(self, job: bytes, on_sent: Callable[[], None] | None = None) -> PrintResult:
        before = self._status()
        if not before.can_print:
            reason = _STATE_REASON[before.state]
            return self._failed(
                reason, f"not printed: printer is {before.state.value}", before=before, job=job
            )
        try:
            self.transport.write(job, self.deadlines.write)
        except PrinterError as exc:
            return self._failed(exc.reason, str(exc), before=before, job=job)
        if on_sent is not None:
            on_sent()
        after = self._status()
        if after.state is PrinterState.UNKNOWN:
            return self._failed(
                FailureReason.TIMEOUT,
                "printer stopped answering after the job",
                before=before,
                after=after,
                sent=True,
                job=job,
            )
        if not after.can_print:
            return self._failed(
                _STATE_REASON[after.state],
                f"printer is {after.state.value} after the job",
                before=before,
                after=after,
                sent=True,
                job=job,
            )
        if after.state is PrinterState.PAPER_NEAR_END:
            log.warning("%s: paper near end", self.transport.describe)
        return PrintResult(True, None, "printed", True, before, after, job)

    def _failed(
        self,
        reason: FailureReason,
        detail: str,
        *,
        before: PrinterStatus,
        job: bytes,
        after: PrinterStatus = dle.UNKNOWN,
        sent: bool = False,
    ) -> PrintResult:
        log.warning("%s: print failed (%s): %s", self.transport.describe, reason.value, detail)
        return PrintResult(False, reason, detail, sent, before, after, job)

    def _status(self) -> PrinterStatus:
        deadline = time.monotonic() + self.deadlines.status
        replies: dict[int, bytes | None] = {}
        try:
            self.transport.open(self.deadlines.connect)
            self.transport.discard_input()
            for n in dle.QUERIES:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.transport.write(dle.request(n), remaining)
                reply = self.transport.read(1, max(0.0, deadline - time.monotonic()))
                if not reply:
                    break  # a silent printer: do not wait the deadline once per query
                replies[n] = reply
        except PrinterError as exc:
            log.info("%s: status query failed: %s", self.transport.describe, exc)
            if exc.reason is FailureReason.OFFLINE:
                return PrinterStatus(PrinterState.OFFLINE)
            return dle.UNKNOWN
        result = dle.parse_status(replies)
        if result.state is PrinterState.UNKNOWN:
            self.transport.close()  # a late reply must not be read as the next answer
        return result


def make_transport(config: PrinterConfig, simulator: SimulatedPrinter | None = None) -> Transport:
    """The transport ``config.kind`` names; an unknown kind raises ``PrinterConfigError``."""
    if config.kind == "network":
        return NetworkTransport(config.host, config.port)
    if config.kind == "serial":
        return SerialTransport(config.serial_port, config.baudrate)
    if config.kind == "usb":
        return UsbTransport(config.usb_vendor, config.usb_product)
    if config.kind == "simulator":
        return SimulatorTransport(simulator or SimulatedPrinter(get_profile(config.profile)))
    raise PrinterConfigError(
        f"unknown printer kind {config.kind!r}; allowed kinds: {', '.join(KINDS)}"
    )


def create_printer(config: PrinterConfig, simulator: SimulatedPrinter | None = None) -> Printer:
    """The ``Printer`` for ``config``: checks the kind and profile names, connects lazily."""
    try:
        profile = get_profile(config.profile)
    except ValueError as exc:
        raise PrinterConfigError(str(exc)) from None
    return Printer(make_transport(config, simulator), profile, config.deadlines, config.cut)
