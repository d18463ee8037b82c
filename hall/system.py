"""The real clock: the only place the wall and monotonic clocks and the kernel's NTP
status are read.

`synchronized()` is what `timedatectl` shows as "System clock synchronized": the kernel's
adjtimex(2) status, which NTP (systemd-timesyncd, chrony) clears of STA_UNSYNC once it has
set the clock and keeps the maximum error under 16 s. A board with a battery clock but no
network reads False until NTP answers; the hall then trusts its wall clock only within
limits (hall/core/timekeeping.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
from typing import Any

STA_UNSYNC = 0x0040
TIME_ERROR = 5
MAX_ERROR_US = 16_000_000


class _Timeval(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long))


class _Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (Linux, glibc), padded as the kernel's."""

    _fields_ = (
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_padding", ctypes.c_int * 11),
    )


@functools.cache
def _adjtimex() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None


def kernel_clock_synchronized() -> bool | None:
    """The kernel's NTP status (read only: modes 0); None where it cannot be read."""
    adjtimex = _adjtimex()
    if adjtimex is None:
        return None
    tx = _Timex()
    state = adjtimex(ctypes.byref(tx))
    if state < 0:
        return None
    return state != TIME_ERROR and not tx.status & STA_UNSYNC and tx.maxerror < MAX_ERROR_US


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def synchronized(self) -> bool | None:
        return kernel_clock_synchronized()
