"""Why a print failed, and the one exception the transports raise."""

from __future__ import annotations

import enum


class FailureReason(enum.Enum):
    """Why a ticket did not print; the kiosk shows and reports it."""

    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"


class PrinterError(Exception):
    """A transport could not move bytes to or from the printer within its deadline."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PrinterConfigError(ValueError):
    """The printer configuration names something that does not exist."""
