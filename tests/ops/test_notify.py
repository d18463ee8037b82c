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

from hall.ops import notify
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
        time.sleep(1.0)  # the heartbeat is 0.5 s old at most before the pings stop
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
    """The real hub, once its runner calls hall.ops.notify (the lead wires it)."""
    import inspect

    import hall.hub.runner

    if "notify" not in inspect.getsource(hall.hub.runner):
        pytest.skip("hall/hub/runner.py does not call hall.ops.notify yet (integration pending)")
    from hall.bus.broker import MosquittoBroker
    from hall.hub.local import sample_config_dir

    config = sample_config_dir(tmp_path / "etc")
    with MosquittoBroker(tmp_path / "mq") as broker:
        text = config.read_text().replace("port = 1883", f"port = {broker.port}")
        config.write_text(text)
        env = {
            **os.environ,
            "NOTIFY_SOCKET": listener.address,
            "WATCHDOG_USEC": "1000000",
            "PYTHONPATH": str(ROOT),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "hall", "hub", "--config", str(config)], env=env, cwd=ROOT
        )
        try:
            assert listener.wait_for("READY=1", timeout=30)
            assert listener.wait_for("WATCHDOG=1", count=2, timeout=10)
            proc.send_signal(signal.SIGSTOP)  # stuck as a whole: no pings at all
            time.sleep(0.3)
            n = len(listener.times("WATCHDOG=1"))
            time.sleep(1.2)
            assert len(listener.times("WATCHDOG=1")) == n
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
