"""sd_notify for the roles: READY, STATUS, WATCHDOG, STOPPING to systemd's $NOTIFY_SOCKET.

No library is needed for this (python-systemd is not installed, and the protocol is one
datagram of ``KEY=value`` lines, UTF-8): see sd_notify(3). Outside systemd (no
$NOTIFY_SOCKET) every call does nothing and returns False, so a role runs the same from a
terminal, in tests and under systemd.

The watchdog is fed by a thread that asks ``alive()`` before each ping: a role whose main
loop is stuck stops being fed, and systemd kills and restarts it after ``WatchdogSec``.
A role builds ``alive`` from a :class:`Heartbeat` its own loop beats, never from the
watchdog thread itself (a thread that only proves it is running proves nothing).

```python
beat = notify.Heartbeat(max_age=10)
notify.ready("hub 410411-ZH01: serving")
with notify.Watchdog(beat):
    while not stop.wait(1.0):
        hub.tick()
        beat.beat()
notify.stopping()
```
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

from hall import wedge

log = logging.getLogger(__name__)

MAX_STATUS = 1024  # systemctl shows one line; keep the datagram small


def _address() -> str | None:
    addr = os.environ.get("NOTIFY_SOCKET", "")
    if not addr:
        return None
    if addr[0] == "@":  # an abstract socket
        return "\0" + addr[1:]
    if addr[0] != "/":
        log.warning("NOTIFY_SOCKET %r is neither a path nor an abstract socket", addr)
        return None
    return addr


def send(*lines: str) -> bool:
    """Send ``KEY=value`` lines as one datagram; True if it was sent. Never raises."""
    addr = _address()
    if addr is None:
        return False
    data = "\n".join(lines).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(data, addr)
    except OSError as exc:
        log.info("sd_notify to %s failed: %s", os.environ.get("NOTIFY_SOCKET"), exc)
        return False
    return True


def _status_line(text: str) -> str:
    one_line = " ".join(text.split())
    raw = one_line.encode("utf-8")[:MAX_STATUS]
    return "STATUS=" + raw.decode("utf-8", "ignore")


def ready(status: str = "") -> bool:
    """The role has started and serves: READY=1 (with a STATUS line when given)."""
    lines = ["READY=1"]
    if status:
        lines.append(_status_line(status))
    return send(*lines)


def status(text: str) -> bool:
    """A one-line status for `systemctl status` (UTF-8: Chinese is fine)."""
    return send(_status_line(text))


def stopping(status: str = "") -> bool:
    """The role is shutting down on purpose: STOPPING=1."""
    return send("STOPPING=1", *([_status_line(status)] if status else []))


def watchdog_ping() -> bool:
    return send("WATCHDOG=1")


def watchdog_interval() -> float | None:
    """Seconds between pings (half of WatchdogSec), or None when systemd wants none."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        seconds = int(usec) / 1_000_000
    except ValueError:
        return None
    return seconds / 2 if seconds > 0 else None


def age_limit(default: float) -> float:
    """How old a role's heartbeat may get: its own ``default``, but never more than half of
    systemd's WatchdogSec, so a stuck loop stops the pings within about one WatchdogSec
    whatever the unit says (and the watchdog tests can use a short one). Only for loops
    that beat far more often than that (a GUI timer, a 0.25 s ticker): a loop that beats
    every ``tick`` seconds needs ``max(age_limit(x), 2 * tick)``."""
    interval = watchdog_interval()  # half of WatchdogSec
    return default if interval is None else min(default, interval)


class Heartbeat:
    """Beaten by the role's own loop; true while the last beat is younger than ``max_age``."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._last = clock()

    def beat(self) -> None:
        self._last = self._clock()

    @property
    def age(self) -> float:
        return self._clock() - self._last

    def __call__(self) -> bool:
        return self.age <= self.max_age


class Watchdog:
    """Pings WATCHDOG=1 every ``interval`` seconds while ``alive()`` is true.

    ``interval`` defaults to half of systemd's WatchdogSec ($WATCHDOG_USEC); without it the
    thread does not start at all. ``alive`` raising counts as not alive.
    """

    def __init__(
        self,
        alive: Callable[[], bool],
        interval: float | None = None,
        *,
        name: str = "sd-watchdog",
    ) -> None:
        self.alive = alive
        self.interval = interval if interval is not None else watchdog_interval()
        self.name = name
        self.pings = 0
        self.missed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Watchdog:
        if self.interval is None or self._thread is not None:
            return self
        wedge.arm()  # the watchdog tests' fault, only with $HALL_TEST_WEDGE (hall/wedge.py)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Watchdog:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def check_and_ping(self) -> bool:
        """One round: ping if alive. Returns whether it pinged."""
        try:
            ok = bool(self.alive())
        except Exception as exc:  # the liveness check itself failing means "not alive"
            log.warning("watchdog: liveness check failed: %s", exc)
            ok = False
        if not ok:
            self.missed += 1
            if self.missed == 1:
                log.warning("watchdog: the role looks stuck; not feeding the watchdog")
            return False
        if self.missed:
            log.warning("watchdog: the role is responsive again after %d missed", self.missed)
            self.missed = 0
        if watchdog_ping():
            self.pings += 1
        return True

    def _run(self) -> None:
        assert self.interval is not None
        self.check_and_ping()
        while not self._stop.wait(self.interval):
            self.check_and_ping()
