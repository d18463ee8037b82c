"""The city side of the simulation: the city broker (Mosquitto, TLS client certificates, the
contract's ACL, `sync.city_peer.broker.CITY_SETTINGS`), the city peer as K consumer processes
on one SQLite database (`python -m sync.city_peer.node`, a shared subscription when K > 1),
CPU and memory of each read from /proc, and the per-hall count of what the city stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sync.city_peer.broker import CityBroker
from sync.city_peer.pki import PLATFORM_CN, Pki
from sync.city_peer.store import CityStore

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(parts[11]) + int(parts[12])) / TICK


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Meter:
    """CPU % (of one core) over each sampling window, and RSS, of one process."""

    name: str
    pid: int
    last: tuple[float, float] = (0.0, 0.0)
    peak_cpu: float = 0.0
    peak_rss: float = 0.0
    samples: list[float] = field(default_factory=list)

    def sample(self, now: float) -> None:
        c = cpu_s(self.pid)
        if self.last[0]:
            dt = now - self.last[0]
            if dt > 0:
                pct = 100 * (c - self.last[1]) / dt
                self.samples.append(pct)
                self.peak_cpu = max(self.peak_cpu, pct)
        self.last = (now, c)
        self.peak_rss = max(self.peak_rss, rss_mb(self.pid))

    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0

    def reset(self) -> None:
        self.samples.clear()
        self.peak_cpu = 0.0
        self.peak_rss = 0.0


class Consumer:
    def __init__(self, i: int, db: Path, port: int, pki: Pki, share: str | None) -> None:
        self.i = i
        self.args = [
            sys.executable,
            "-m",
            "sync.city_peer.node",
            "--db",
            str(db),
            "--port",
            str(port),
            "--host",
            "localhost",
            "--pki",
            str(pki.folder),
            "--client-id",
            f"{PLATFORM_CN}-{i}",
        ]
        if share:
            self.args += ["--share", share]
        if i > 0:
            self.args.append("--no-will")  # consumer 0 owns the cloud status
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Consumer:
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"consumer {self.i} did not start: {line!r}")
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class City:
    def __init__(self, folder: Path, pki: Pki, consumers: int, *, persistence: bool = True):
        self.folder = folder
        self.pki = pki
        self.db = folder / "city.db"
        CityStore(self.db).close()  # the schema, before several processes open it
        self.broker = CityBroker(
            folder / "broker", pki=pki, persistence=persistence, autosave_interval=60
        )
        self.share = "city" if consumers > 1 else None
        self.consumers = [
            Consumer(i, self.db, self.broker.port, pki, self.share) for i in range(consumers)
        ]

    def start(self) -> City:
        self.broker.start()
        for c in self.consumers:
            c.start()
        return self

    def meters(self) -> list[Meter]:
        assert self.broker.pid is not None
        out = [Meter("broker", self.broker.pid)]
        out += [Meter(f"consumer{c.i}", c.pid) for c in self.consumers]
        out.append(Meter("halls", os.getpid()))
        return out

    def stop(self) -> None:
        for c in self.consumers:
            c.stop()
        self.broker.close()


@dataclass(frozen=True, slots=True)
class Count:
    """Per hall, what the city stored against the hall's log: lost (a seq of the log the city
    does not hold once it acked past it, or never acked), stored twice (one event id under two
    seqs, or a seq past the log's end)."""

    halls: int
    events: int
    lost: int
    twice: int
    halls_lost: tuple[str, ...]
    halls_twice: tuple[str, ...]


def count(store: CityStore, heads: dict[str, int]) -> Count:
    lost = twice = events = 0
    halls_lost: list[str] = []
    halls_twice: list[str] = []
    for hall, head in heads.items():
        n_in, distinct = store.query(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM events WHERE hall_id = ? AND seq "
            "BETWEEN 1 AND ?",
            (hall, head),
        )[0]
        (n_out,) = store.query(
            "SELECT COUNT(*) FROM events WHERE hall_id = ? AND seq > ?", (hall, head)
        )[0]
        events += n_in + n_out
        missing = head - int(n_in)
        dup = int(n_in) - int(distinct) + int(n_out)
        if missing > 0:
            lost += missing
            halls_lost.append(hall)
        if dup > 0:
            twice += dup
            halls_twice.append(hall)
    return Count(len(heads), events, lost, twice, tuple(halls_lost), tuple(halls_twice))
