"""DLE EOT real-time status: request bytes and pure parsing of the replies.

Each request ``10 04 n`` is answered by one byte whose bits 1 and 4 are set and bits 0 and 7
clear; any other byte is not a status reply. A missing or malformed reply means the state is
UNKNOWN, never "paper out" (python-escpos reads a silent printer as "no paper").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"

PRINTER = 1
"""n = 1: printer status (online/offline)."""
OFFLINE_CAUSE = 2
"""n = 2: offline cause (cover open, paper end stop, error)."""
ERROR_CAUSE = 3
"""n = 3: error cause (autocutter, unrecoverable, auto-recoverable)."""
PAPER_SENSOR = 4
"""n = 4: roll paper sensor (near end, end)."""

QUERIES = (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR)

_FIXED_MASK = 0x93  # bits 0, 1, 4, 7
_FIXED_VALUE = 0x12  # bits 1 and 4 set, bits 0 and 7 clear

_OFFLINE = 0x08  # n=1 bit 3
_COVER_OPEN = 0x04  # n=2 bit 2
_STOPPED_PAPER_END = 0x20  # n=2 bit 5
_ERROR_OCCURRED = 0x40  # n=2 bit 6
_ERROR_BITS = 0x04 | 0x08 | 0x20 | 0x40  # n=3: autocutter, unrecoverable, auto-recoverable
_NEAR_END = 0x0C  # n=4 bits 2-3
_PAPER_END = 0x60  # n=4 bits 5-6


class PrinterState(enum.Enum):
    """The one state the kiosk and the technician see, most severe first."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    """The parsed status: the summary ``state`` and the raw reply bytes by query number."""

    state: PrinterState
    replies: tuple[tuple[int, int | None], ...] = ()

    @property
    def can_print(self) -> bool:
        """True when a ticket may be sent: OK, or paper near its end (still printing)."""
        return self.state in (PrinterState.OK, PrinterState.PAPER_NEAR_END)


UNKNOWN = PrinterStatus(PrinterState.UNKNOWN)


def request(n: int) -> bytes:
    """The DLE EOT request for status ``n`` (1 to 4)."""
    if n not in QUERIES:
        raise ValueError(f"DLE EOT n must be one of {QUERIES}, got {n}")
    return DLE_EOT + bytes((n,))


def is_status_byte(value: int) -> bool:
    """True when ``value`` has the fixed bits of a DLE EOT reply."""
    return 0 <= value <= 0xFF and value & _FIXED_MASK == _FIXED_VALUE


def parse_status(replies: Mapping[int, bytes | None]) -> PrinterStatus:
    """The printer's state from the replies to DLE EOT 1 to 4 (``None``: no reply in time).

    The printer status (n = 1) and paper sensor (n = 4) replies are required; the offline and
    error causes refine an offline printer. Anything missing or malformed gives UNKNOWN.
    """
    values: dict[int, int | None] = {}
    for n in QUERIES:
        reply = replies.get(n)
        values[n] = reply[0] if reply and len(reply) == 1 and is_status_byte(reply[0]) else None
    raw = tuple(sorted(values.items()))
    printer, paper = values[PRINTER], values[PAPER_SENSOR]
    if printer is None or paper is None:
        return PrinterStatus(PrinterState.UNKNOWN, raw)
    offline_cause, error_cause = values[OFFLINE_CAUSE], values[ERROR_CAUSE]
    if offline_cause is not None and offline_cause & _COVER_OPEN:
        return PrinterStatus(PrinterState.COVER_OPEN, raw)
    if paper & _PAPER_END or (offline_cause is not None and offline_cause & _STOPPED_PAPER_END):
        return PrinterStatus(PrinterState.PAPER_OUT, raw)
    if (error_cause is not None and error_cause & _ERROR_BITS) or (
        offline_cause is not None and offline_cause & _ERROR_OCCURRED
    ):
        return PrinterStatus(PrinterState.ERROR, raw)
    if printer & _OFFLINE:
        return PrinterStatus(PrinterState.OFFLINE, raw)
    if paper & _NEAR_END:
        return PrinterStatus(PrinterState.PAPER_NEAR_END, raw)
    return PrinterStatus(PrinterState.OK, raw)


def reply_byte(
    n: int,
    *,
    offline: bool = False,
    cover_open: bool = False,
    paper_out: bool = False,
    near_end: bool = False,
    error: bool = False,
) -> bytes:
    """The reply a printer in this condition sends to DLE EOT ``n`` (used by the simulator)."""
    value = _FIXED_VALUE
    if n == PRINTER and (offline or cover_open or paper_out or error):
        value |= _OFFLINE
    elif n == OFFLINE_CAUSE:
        value |= (_COVER_OPEN if cover_open else 0) | (_STOPPED_PAPER_END if paper_out else 0)
        value |= _ERROR_OCCURRED if error else 0
    elif n == ERROR_CAUSE and error:
        value |= 0x08
    elif n == PAPER_SENSOR:
        value |= (_PAPER_END if paper_out else 0) | (_NEAR_END if near_end or paper_out else 0)
    return bytes((value,))
