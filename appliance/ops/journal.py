"""Log levels that journald understands: under systemd, each line starts with ``<N>``.

journald reads a ``<N>`` prefix on a line written to a service's stdout/stderr as its
syslog priority (SyslogLevelPrefix=yes, the default), so `journalctl -p warning -u hall-hub`
shows only the warnings and errors. Outside journald (a terminal, the tests) lines stay
as they are.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def priority(levelno: int) -> int:
    for level in sorted(PRIORITY, reverse=True):
        if levelno >= level:
            return PRIORITY[level]
    return 7


class JournalFormatter(logging.Formatter):
    """``<N>logger: message``, the prefix repeated on every line of a multi-line record."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def under_journald(stream: TextIO = sys.stderr) -> bool:
    """True when ``stream`` is the journal stream systemd gave this service ($JOURNAL_STREAM
    is "device:inode" of it)."""
    wanted = os.environ.get("JOURNAL_STREAM", "")
    if not wanted:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return wanted == f"{st.st_dev}:{st.st_ino}"


def handler(stream: TextIO = sys.stderr) -> logging.Handler:
    """A stderr handler: journald priorities under systemd, "LEVEL name: message" elsewhere."""
    h = logging.StreamHandler(stream)
    if under_journald(stream):
        h.setFormatter(JournalFormatter())
    else:
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    return h
