"""A role that does what a role runner should: READY after start, a heartbeat from its own
loop, STOPPING on SIGTERM. SIGUSR1 wedges its loop (the watchdog thread keeps running)."""

from __future__ import annotations

import signal
import threading
import time

from hall import sdnotify as notify


def main() -> None:
    stop = threading.Event()
    wedged = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: wedged.set())
    beat = notify.Heartbeat(max_age=0.5)
    time.sleep(0.1)  # "starting"
    notify.ready("stub: serving 测试")
    with notify.Watchdog(beat):
        while not stop.is_set():
            if wedged.is_set():
                time.sleep(0.05)  # stuck: the loop no longer beats
                continue
            beat.beat()
            stop.wait(0.05)
    notify.stopping()


if __name__ == "__main__":
    main()
