"""Each role's real entry point under a temporary NOTIFY_SOCKET with WATCHDOG_USEC set:
READY=1, then WATCHDOG=1 pings, and the pings stop when the role's own loop is wedged
while the process (and its watchdog thread) lives on; systemd's SIGABRT then ends it.

The wedge is the product's test fault (hall/wedge.py, armed by $HALL_TEST_WEDGE):
the kiosk's and the display's GUI thread blocked, a pad line's thread dead, the sync's
ticker dead. WatchdogSec is 1 s here: a ping every 0.5 s, a heartbeat at most 0.5 s old.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from appliance.local import LocalHall
from hall.core.timekeeping import FixedClock, at_local
from tests.ops.notify_listener import NotifyListener

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]
WATCHDOG_USEC = 1_000_000


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHall]:
    clock = FixedClock(at_local(date(2026, 11, 27), "09:30", ZoneInfo("Asia/Shanghai")))
    with LocalHall(tmp_path_factory.mktemp("hall"), transport="mqtt", clock=clock) as h:
        h.settle()
        yield h


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    lst = NotifyListener(tmp_path / "notify.sock")
    yield lst
    lst.close()


def role_config(hall: LocalHall, folder: Path, extra: str) -> Path:
    """The hall's config on its Mosquitto, plus a role's tables (paths made absolute)."""
    text = hall.config_path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {hall.port}", text)
    text = text.replace('catalog = "catalog.json"', f'catalog = "{hall.cfg.catalog_path}"')
    text = text.replace('database = "hall.db"', f'database = "{hall.cfg.database_path}"')
    path = folder / "role.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def no_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start_role(
    args: list[str], listener: NotifyListener, folder: Path, wedge: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NOTIFY_SOCKET": listener.address,
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "HALL_TEST_WEDGE": wedge,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "HALL_CONFIG": "",
    }
    env.pop("WATCHDOG_PID", None)
    with (folder / "role.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "appliance", *args],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=no_core_files,
        )


def pings(listener: NotifyListener) -> int:
    return len(listener.times("WATCHDOG=1"))


def wedge_and_watch(proc: subprocess.Popen[bytes], listener: NotifyListener, log: Path) -> str:
    """READY, pings while healthy, none once wedged, and the process still there; then
    SIGABRT as systemd sends it when WatchdogSec passes. The role's log."""

    def text() -> str:
        return log.read_text(encoding="utf-8", errors="replace")

    try:
        assert listener.wait_for("READY=1", timeout=40), text()
        healthy = pings(listener)
        assert listener.wait_for("WATCHDOG=1", count=healthy + 2, timeout=15), text()
        assert proc.poll() is None
        proc.send_signal(signal.SIGUSR2)  # the role's own loop stops (the test fault)
        # heartbeat stale after 0.5 s, the next check 0.5 s later: then 2 s without a ping
        quiet = listener.wait_quiet("WATCHDOG=1", quiet=2.0, timeout=10)
        assert quiet, "a wedged role must not feed the watchdog\n" + text()
        n = pings(listener)
        time.sleep(1.0)
        assert pings(listener) == n, "the pings came back\n" + text()
        assert proc.poll() is None, "wedged, not dead: only the watchdog can tell\n" + text()
        proc.send_signal(signal.SIGABRT)  # systemd's WatchdogSignal
        assert proc.wait(10) == -signal.SIGABRT
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = text()
    assert "HALL_TEST_WEDGE" in out and "watchdog: the role looks stuck" in out, out
    return out


def test_kiosk_gui_thread_blocked(
    hall: LocalHall, tmp_path: Path, listener: NotifyListener
) -> None:
    extra = f'[kiosk]\nstate_dir = "{tmp_path / "kiosk"}"\n[kiosk.speech]\nengine = "none"\n'
    config = role_config(hall, tmp_path, extra)
    args = ["kiosk", "--config", str(config), "--windowed", "--printer", "sim"]
    proc = start_role(args, listener, tmp_path, "main")
    wedge_and_watch(proc, listener, tmp_path / "role.log")
    assert any(line.startswith("STATUS=kiosk kiosk-1") for line in listener.lines())


def test_display_gui_thread_blocked(
    hall: LocalHall, tmp_path: Path, listener: NotifyListener
) -> None:
    extra = '[display.speech]\nplayer = "null"\n'
    config = role_config(hall, tmp_path, extra)
    proc = start_role(
        ["display", "--config", str(config), "--windowed"], listener, tmp_path, "main"
    )
    wedge_and_watch(proc, listener, tmp_path / "role.log")
    assert any(line.startswith("STATUS=display display-1") for line in listener.lines())


def test_pads_line_thread_dies(hall: LocalHall, tmp_path: Path, listener: NotifyListener) -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "counter_pad.simulator", "--pty", "--pads", "1-2", "--quiet"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        pty = sim.stdout.readline().strip()
        assert pty.startswith("/dev/"), pty
        extra = (
            f'[pads]\nstate_file = "{tmp_path / "pads-state.db"}"\n'
            f'[[pads.buses]]\nname = "b1"\nport = "{pty}"\n'
            'devices = [{ address = 1, counter = "1" }, { address = 2, counter = "2" }]\n'
        )
        config = role_config(hall, tmp_path, extra)
        proc = start_role(["pads", "--config", str(config)], listener, tmp_path, "thread:pads-b1")
        out = wedge_and_watch(proc, listener, tmp_path / "role.log")
        assert "ended 1 thread(s) named ('pads-b1',)" in out
    finally:
        if sim.poll() is None:
            sim.kill()
        sim.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_ticker_dies(hall: LocalHall, tmp_path: Path, listener: NotifyListener) -> None:
    from tests.sync.citykit import write_sync_config

    # The city is away (nothing listens on its port): the hall works without it, and the
    # sync's ticker goes round all the same.
    city = SimpleNamespace(port=free_port())
    config = write_sync_config(hall, city, None, name=f"sync-{tmp_path.name}.toml")  # type: ignore[arg-type]
    proc = start_role(["sync", "--config", str(config)], listener, tmp_path, "thread:sync-ticker")
    out = wedge_and_watch(proc, listener, tmp_path / "role.log")
    assert "ended 1 thread(s) named ('sync-ticker',)" in out
