"""A fault on purpose, for the tests of the systemd watchdog: `HALL_TEST_WEDGE`.

The watchdog tests run each role's real entry point under a temporary NOTIFY_SOCKET and
must see the WATCHDOG=1 pings stop when the role's *own* loop stops, while the process
(and the watchdog thread) stays alive. Stopping the whole process (SIGSTOP) proves
nothing about the liveness checks, so a role started with ``HALL_TEST_WEDGE`` in its
environment arms SIGUSR2 to break one part of itself the way a real fault would:

``HALL_TEST_WEDGE=main``
    SIGUSR2 blocks the main thread for good: for the kiosk and the display that is the Qt
    GUI thread (a call that never returns on the GUI thread), for the hub its tick loop.
``HALL_TEST_WEDGE=thread:NAME[,NAME…]``
    SIGUSR2 ends the threads with these exact names by an unexpected error, as a bug
    would (``pads-<bus>``: a pad line's thread; ``sync-ticker``: the sync's ticker).

The variable is read once, when the role's watchdog starts (:func:`arm`, called by
``notify.Watchdog.start``); without it nothing is installed and SIGUSR2 keeps its default
action. The units in systemd/ never set it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from types import FrameType

log = logging.getLogger(__name__)

ENV = "HALL_TEST_WEDGE"
SIGNAL = signal.SIGUSR2


class Wedged(BaseException):
    """Raised into a thread by the test fault (a BaseException: no `except Exception`
    in the role swallows it, as a real bug's error might not be either)."""


_armed: str | None = None


def parse(spec: str) -> tuple[str, tuple[str, ...]]:
    """``main`` or ``thread:a,b`` -> (kind, names); ValueError for anything else."""
    spec = spec.strip()
    if spec == "main":
        return "main", ()
    kind, _, rest = spec.partition(":")
    names = tuple(n.strip() for n in rest.split(",") if n.strip())
    if kind == "thread" and names:
        return "thread", names
    raise ValueError(f"{ENV}={spec!r}: expected 'main' or 'thread:NAME[,NAME…]'")


def _block_forever() -> None:
    log.warning("%s: the main thread is wedged on purpose (test fault)", ENV)
    while True:  # signal handlers that run here (SIGTERM) cannot unblock it either
        time.sleep(3600)


def _raise_in(names: tuple[str, ...]) -> int:
    hit = 0
    for t in threading.enumerate():
        if t.name in names and t.ident is not None and t.is_alive():
            done = ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(t.ident), ctypes.py_object(Wedged)
            )
            hit += int(done)
    log.warning("%s: ended %d thread(s) named %s on purpose (test fault)", ENV, hit, names)
    return hit


def arm() -> str | None:
    """Install the SIGUSR2 fault if $HALL_TEST_WEDGE asks for one; the spec armed, or None.

    Only from the main thread (signal handlers live there); a bad spec is logged and
    ignored (a test that sets one sees its pings go on and fails on its own).
    """
    global _armed
    spec = os.environ.get(ENV, "")
    if not spec or _armed is not None:
        return _armed
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        kind, names = parse(spec)
    except ValueError as exc:
        log.warning("%s", exc)
        return None

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        if kind == "main":
            _block_forever()
        else:
            _raise_in(names)

    signal.signal(SIGNAL, on_signal)
    _armed = spec
    log.warning("%s=%s: SIGUSR2 wedges this process (test fault armed)", ENV, spec)
    return spec
