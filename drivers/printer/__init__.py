"""Ticket printer driver: ESC/POS ticket bytes, DLE EOT status, transports and a simulator.

The kiosk calls ``create_printer(PrinterConfig(...))`` once, then ``Printer.print_ticket``
per ticket and ``Printer.status`` for the technician screen.
"""

from drivers.printer.driver import (
    KINDS,
    Deadlines,
    Printer,
    PrinterConfig,
    PrintResult,
    create_printer,
    make_transport,
)
from drivers.printer.errors import FailureReason, PrinterConfigError, PrinterError
from drivers.printer.profiles import (
    COMPACT_58MM,
    DEFAULT_80MM,
    PROFILES,
    RASTER_QR_80MM,
    PrinterProfile,
    get_profile,
)
from drivers.printer.simulator import Faults, SimulatedPrinter, SimulatorServer
from drivers.printer.status import PrinterState, PrinterStatus
from drivers.printer.ticket import TicketPrint, build_ticket

__all__ = [
    "COMPACT_58MM",
    "DEFAULT_80MM",
    "KINDS",
    "PROFILES",
    "RASTER_QR_80MM",
    "Deadlines",
    "FailureReason",
    "Faults",
    "PrintResult",
    "Printer",
    "PrinterConfig",
    "PrinterConfigError",
    "PrinterError",
    "PrinterProfile",
    "PrinterState",
    "PrinterStatus",
    "SimulatedPrinter",
    "SimulatorServer",
    "TicketPrint",
    "build_ticket",
    "create_printer",
    "get_profile",
    "make_transport",
]
