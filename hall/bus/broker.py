"""A private Mosquitto on a free loopback port, for tests, `hall demo` and benchmarks.

On the appliance the Debian package's systemd unit runs the hall's Mosquitto; here the
project writes its own configuration into a directory and runs `mosquitto -c` on it. The
configuration is one value, `MosquittoConfig` (loopback listener, TCP_NODELAY on, anonymous
by default; TLS with client certificates, an ACL file, a password file, persistence when
asked), written by one function, `MosquittoConfig.text()`: the city's test broker
(`sync.city_peer.broker`) is this broker with TLS and the contract's ACLs.
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
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class BrokerTls:
    """TLS on the listener; with `require_certificate` the client's certificate is checked
    against `ca` and (`use_identity_as_username`) its CN becomes its username for the ACL."""

    ca: Path
    cert: Path
    key: Path
    require_certificate: bool = True
    use_identity_as_username: bool = True


@dataclass(frozen=True, slots=True)
class MosquittoConfig:
    port: int
    host: str = "127.0.0.1"
    log_file: Path | None = None
    nodelay: bool = True
    persistence_dir: Path | None = None  # None: no persistence
    autosave_interval: int = 1
    anonymous: bool = True
    tls: BrokerTls | None = None
    acl_file: Path | None = None
    password_file: Path | None = None
    max_queued_messages: int | None = None  # Mosquitto's default: 1000 per client

    def text(self) -> str:
        on = {True: "true", False: "false"}
        lines = [
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            "per_listener_settings false",
            f"listener {self.port} {self.host}",
            f"set_tcp_nodelay {on[self.nodelay]}",
        ]
        if self.log_file is not None:
            lines.append(f"log_dest file {self.log_file}")
        lines += [f"log_type {t}" for t in ("error", "warning", "notice", "information")]
        lines.append("connection_messages true")
        if self.max_queued_messages is not None:
            lines.append(f"max_queued_messages {self.max_queued_messages}")
        lines.append(f"persistence {on[self.persistence_dir is not None]}")
        if self.persistence_dir is not None:
            lines += [
                f"persistence_location {self.persistence_dir}/",
                f"autosave_interval {self.autosave_interval}",
            ]
        lines.append(f"allow_anonymous {on[self.anonymous]}")
        if self.password_file is not None:
            lines.append(f"password_file {self.password_file}")
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        if self.tls is not None:
            t = self.tls
            lines += [
                f"cafile {t.ca}",
                f"certfile {t.cert}",
                f"keyfile {t.key}",
                f"require_certificate {on[t.require_certificate]}",
                f"use_identity_as_username {on[t.use_identity_as_username]}",
            ]
        return "\n".join(lines) + "\n"


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

    def config(self) -> MosquittoConfig:
        """This broker's configuration; a subclass adds to it (`dataclasses.replace`)."""
        return MosquittoConfig(
            port=self.port,
            host=self.host,
            log_file=self.log_path,
            nodelay=self.nodelay,
            persistence_dir=self.directory / "data" if self.persistence else None,
            autosave_interval=self.autosave_interval,
        )

    def config_text(self) -> str:
        return self.config().text()

    def prepare(self) -> None:
        """Write what the configuration refers to (ACL, password files) before a start."""

    def start(self) -> MosquittoBroker:
        if self.is_running:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.persistence:
            (self.directory / "data").mkdir(exist_ok=True)
        self.prepare()
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
