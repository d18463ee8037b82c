"""A private Mosquitto on a free loopback port, for tests, `hall demo` and benchmarks.

On the appliance the Debian package's systemd unit runs the hall's Mosquitto; here the
project writes its own configuration (loopback listener, anonymous, TCP_NODELAY on) into a
directory and runs `mosquitto -c` on it.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

DEBIAN_MOSQUITTO = "/usr/sbin/mosquitto"


class BrokerError(RuntimeError):
    """Mosquitto could not be found or did not start."""


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or (
        DEBIAN_MOSQUITTO if os.access(DEBIAN_MOSQUITTO, os.X_OK) else None
    )
    if found is None:
        raise BrokerError("mosquitto not found on PATH nor at /usr/sbin/mosquitto")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class MosquittoBroker:
    """`with MosquittoBroker(tmp_path) as broker: MqttBus("x", port=broker.port)`.

    `persistence=True` keeps retained messages across `restart()` (and across `kill()` for
    what was saved: `autosave_interval` seconds). Its log is `<directory>/mosquitto.log`.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        persistence: bool = False,
        nodelay: bool = True,
        autosave_interval: int = 1,
        start_timeout: float = 10.0,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hall-mosquitto-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.host = host
        self.port = port or free_port(host)
        self.persistence = persistence
        self.nodelay = nodelay
        self.autosave_interval = autosave_interval
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def conf_path(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        """The Mosquitto process id while it runs (tests stop it with SIGSTOP)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def config_text(self) -> str:
        data = self.directory / "data"
        lines = [
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            f"set_tcp_nodelay {'true' if self.nodelay else 'false'}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            f"persistence {'true' if self.persistence else 'false'}",
        ]
        if self.persistence:
            lines += [
                f"persistence_location {data}/",
                f"autosave_interval {self.autosave_interval}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> MosquittoBroker:
        if self.is_running:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.persistence:
            (self.directory / "data").mkdir(exist_ok=True)
        self.conf_path.write_text(self.config_text(), encoding="utf-8")
        with open(self.directory / "mosquitto.stderr", "ab") as err:
            self._proc = subprocess.Popen(
                [find_mosquitto(), "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        self._wait_accepting()
        log.info("mosquitto %d listening on %s:%d", self._proc.pid, self.host, self.port)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM and wait: Mosquitto saves its persistence file on the way out."""
        self._end(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL: as a crash or a power cut would."""
        self._end(signal.SIGKILL, 5.0)

    def restart(self) -> None:
        """Stop, then start on the same port."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _end(self, sig: signal.Signals, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _wait_accepting(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(
                    f"mosquitto exited with {self._proc.returncode}; see {self.log_path}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise BrokerError(f"mosquitto did not listen on port {self.port}; see {self.log_path}")
