"""A NOTIFY_SOCKET for the tests: a unix datagram socket that collects what is sent."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path


class NotifyListener:
    def __init__(self, path: Path | None = None, abstract: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract is not None:
            self.sock.bind("\0" + abstract)
            self.address = "@" + abstract
        else:
            assert path is not None
            self.sock.bind(str(path))
            self.address = str(path)
        self.sock.settimeout(0.05)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.messages.append((time.monotonic(), data.decode("utf-8")))

    def lines(self) -> list[str]:
        with self._lock:
            return [line for _t, m in self.messages for line in m.split("\n")]

    def times(self, line: str) -> list[float]:
        with self._lock:
            return [t for t, m in self.messages if line in m.split("\n")]

    def wait_for(self, line: str, timeout: float = 10.0, count: int = 1) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.times(line)) >= count:
                return True
            time.sleep(0.02)
        return False

    def wait_quiet(self, line: str, quiet: float, timeout: float) -> bool:
        """Until ``line`` has not come for ``quiet`` seconds (False after ``timeout``)."""
        start = time.monotonic()
        deadline = start + timeout
        while time.monotonic() < deadline:
            last = max(self.times(line), default=start)
            if time.monotonic() - max(last, start) >= quiet:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
