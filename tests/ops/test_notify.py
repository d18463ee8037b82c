"""sd_notify: the datagrams, the watchdog and its liveness; a role under a NOTIFY_SOCKET."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hall import sdnotify as notify
from tests.ops.notify_listener import NotifyListener

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyListener]:
    lst = NotifyListener(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", lst.address)
    yield lst
    lst.close()


def test_nothing_is_sent_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.ready("x") is False
    assert notify.status("x") is False


def test_ready_status_stopping(listener: NotifyListener) -> None:
    assert notify.ready("hub 410411-ZH01：正在服务")
    assert notify.status("排队 12 人\n第二行")
    assert notify.stopping()
    assert notify.watchdog_ping()
    assert listener.wait_for("WATCHDOG=1")
    lines = listener.lines()
    assert "READY=1" in lines
    assert "STATUS=hub 410411-ZH01：正在服务" in lines
    assert "STATUS=排队 12 人 第二行" in lines  # one line, UTF-8
    assert "STOPPING=1" in lines


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    lst = NotifyListener(abstract=f"hall-test-{os.getpid()}")
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", lst.address)
        assert notify.ready("abstract")
        assert lst.wait_for("READY=1")
    finally:
        lst.close()


def test_a_dead_socket_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody"))
    assert notify.ready("x") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "relative")
    assert notify.status("x") is False


def test_long_status_is_cut_at_a_character(listener: NotifyListener) -> None:
    notify.status("号" * 1000)
    assert listener.wait_for("STATUS=" + "号" * (notify.MAX_STATUS // 3))


def test_watchdog_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert notify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert notify.watchdog_interval() == 15
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert notify.watchdog_interval() is None  # meant for another process
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert notify.watchdog_interval() == 15
    monkeypatch.setenv("WATCHDOG_USEC", "soon")
    assert notify.watchdog_interval() is None


def test_watchdog_without_systemd_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    with notify.Watchdog(lambda: True) as wd:
        assert wd._thread is None


def test_heartbeat() -> None:
    now = [100.0]
    beat = notify.Heartbeat(max_age=5, clock=lambda: now[0])
    assert beat()
    now[0] += 6
    assert not beat()
    beat.beat()
    assert beat() and beat.age == 0


def test_watchdog_pings_only_while_alive(listener: NotifyListener) -> None:
    alive = [True]

    def check() -> bool:
        if alive[0] == "boom":
            raise RuntimeError("liveness check broke")
        return bool(alive[0])

    wd = notify.Watchdog(check, interval=0.02)
    assert wd.check_and_ping() and wd.pings == 1
    alive[0] = False
    assert not wd.check_and_ping() and wd.missed == 1
    alive[0] = "boom"  # type: ignore[call-overload]
    assert not wd.check_and_ping() and wd.missed == 2
    alive[0] = True
    assert wd.check_and_ping() and wd.missed == 0
    with wd:
        assert listener.wait_for("WATCHDOG=1", count=5)


def _start_stub(listener: NotifyListener, watchdog_usec: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NOTIFY_SOCKET": listener.address,
        "WATCHDOG_USEC": str(watchdog_usec),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("WATCHDOG_PID", None)
    return subprocess.Popen([sys.executable, "-m", "tests.ops.role_stub"], env=env, cwd=ROOT)


def test_role_under_notify_socket_stops_feeding_when_wedged(listener: NotifyListener) -> None:
    proc = _start_stub(listener, 200_000)  # WatchdogSec=0.2 s: a ping every 0.1 s
    try:
        assert listener.wait_for("READY=1", timeout=20)
        assert "STATUS=stub: serving 测试" in listener.lines()
        assert listener.wait_for("WATCHDOG=1", count=4, timeout=10)
        proc.send_signal(signal.SIGUSR1)  # wedge the role's loop
        # the heartbeat is 0.5 s old at most before the pings stop: then they stay away
        assert listener.wait_quiet("WATCHDOG=1", quiet=2.0, timeout=10)
        n = len(listener.times("WATCHDOG=1"))
        time.sleep(1.0)
        assert len(listener.times("WATCHDOG=1")) == n, "a wedged role must not feed the watchdog"
        assert proc.poll() is None  # alive but stuck: systemd would kill it now
        proc.terminate()
        assert proc.wait(10) == 0
        assert "STOPPING=1" in listener.lines()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_hub_entry_point_under_notify_socket(tmp_path: Path, listener: NotifyListener) -> None:
    """The real hub, once its runner calls hall.sdnotify (the lead wires it)."""
    import inspect

    import hub.runner

    if "notify" not in inspect.getsource(hub.runner):
        pytest.skip("hall/hub/runner.py does not call hall.sdnotify yet (integration pending)")
    from appliance.local import sample_config_dir
    from hall.bus.broker import MosquittoBroker

    config = sample_config_dir(tmp_path / "etc")
    with MosquittoBroker(tmp_path / "mq") as broker:
        text = config.read_text().replace("port = 1883", f"port = {broker.port}")
        config.write_text(text)
        env = {
            **os.environ,
            "NOTIFY_SOCKET": listener.address,
            "WATCHDOG_USEC": "3000000",  # the hub's loop goes round every second
            "HALL_TEST_WEDGE": "main",  # SIGUSR2 blocks its tick loop (hall/wedge.py)
            "PYTHONPATH": str(ROOT),
        }
        env.pop("WATCHDOG_PID", None)
        log = tmp_path / "hub.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "hub", "--config", str(config)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            assert listener.wait_for("READY=1", timeout=30), log.read_text()
            assert listener.wait_for("WATCHDOG=1", count=2, timeout=30)
            proc.send_signal(signal.SIGUSR2)  # the tick loop is stuck, the process is not
            # the pings stop once the heartbeat is older than its max_age (10 s in the hub)
            assert listener.wait_quiet("WATCHDOG=1", quiet=3.2, timeout=60), log.read_text()
            assert proc.poll() is None
            proc.kill()  # its main thread cannot take SIGTERM now: systemd ends with SIGKILL
            assert proc.wait(10) == -signal.SIGKILL
            assert "watchdog: the role looks stuck" in log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_age_limit_follows_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert notify.age_limit(20.0) == 20.0
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")  # WatchdogSec=60: the role's own 20 s
    assert notify.age_limit(20.0) == 20.0
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")  # a shorter watchdog: half of it
    assert notify.age_limit(20.0) == 5.0
    assert notify.Heartbeat(max_age=20.0).max_age == 20.0  # only where the role asks


def test_wedge_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    from hall import wedge

    assert wedge.parse("main") == ("main", ())
    assert wedge.parse("thread: pads-b1, sync-ticker") == ("thread", ("pads-b1", "sync-ticker"))
    for bad in ("", "thread:", "gui", "main:x"):
        with pytest.raises(ValueError, match="HALL_TEST_WEDGE"):
            wedge.parse(bad)
    monkeypatch.delenv(wedge.ENV, raising=False)
    assert wedge.arm() is None  # nothing armed without the variable
    assert signal.getsignal(wedge.SIGNAL) == signal.SIG_DFL


def test_wedge_ends_a_named_thread() -> None:
    import threading

    from hall import wedge

    stop = threading.Event()
    ended: list[str] = []

    def loop() -> None:
        try:
            while not stop.wait(0.01):
                pass
        except wedge.Wedged:  # (a role's thread would die of it; this one just ends)
            ended.append("wedged")

    t = threading.Thread(target=loop, name="wedge-me", daemon=True)
    other = threading.Thread(target=lambda: stop.wait(5), name="wedge-me-not", daemon=True)
    t.start()
    other.start()
    assert wedge._raise_in(("wedge-me",)) == 1
    t.join(5)
    assert not t.is_alive() and ended == ["wedged"]
    assert other.is_alive()
    stop.set()
    other.join(5)
