"""Fine sleeps for the threads that time bytes on a line (the bus master, the simulator).

Linux lets a sleeping thread's timer fire up to its *timer slack* late (50 µs by default,
so that wake-ups can be merged); with the scheduler's own delay a 1 ms ``time.sleep``
then ends about 90 µs late here. A bus master that sleeps for the rest of a frame, and a
simulator that writes each chunk of a reply when its last byte would land, sleep a few
hundred times a second: the master loses that time on every transaction, and the
simulator would model a slower wire than the real one. :func:`fine_timer_slack` sets the
calling thread's slack to 1 µs (``prctl(PR_SET_TIMERSLACK)``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import time

PR_SET_TIMERSLACK = 29


def fine_timer_slack(ns: int = 1000) -> bool:
    """Set this thread's timer slack to ``ns`` nanoseconds; whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def sleep_until(when: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``when`` (at once if it has)."""
    delay = when - time.monotonic()
    if delay > 0:
        time.sleep(delay)
