"""One writer: a technician's `hall queue …` goes to the hub over the hall bus.

With the hub running (on a real Mosquitto) the call is announced on `hall/v1/event/call` and
shown on the retained board, like a pad's; with the hub down it is refused in one line
(exit 5) and the event log is unchanged. `hall init` and `hall rebuild` refuse while a hub
holds the database, whatever path names it.
"""

from __future__ import annotations

import queue
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.local import LocalHall, sample_config_dir
from hall.bus.broker import MosquittoBroker
from hall.bus.interface import Message
from hall.core import commands as c
from hall.core.timekeeping import FixedClock
from hall.hubapi import protocol as p
from hall.hubapi.client import StateCache
from tests.cli.helpers import (
    HubProcess,
    as_json,
    events,
    hall,
    one_line,
    set_bus,
    wait_hub_status,
)
from tests.conftest import at
from tests.hub.test_faults import all_day_catalog

HUB_DOWN = "集中控制(hub)未运行或连不上：命令未执行"


@pytest.fixture
def local_hall(tmp_path: Path) -> Iterator[LocalHall]:
    with LocalHall(tmp_path / "site", transport="mqtt", clock=FixedClock(at("09:05"))) as h:
        yield h


def technician_config(h: LocalHall) -> Path:
    """The hall's config as the technician's shell reads it: [bus] at the hub's Mosquitto."""
    cfg = h.config_path.with_name("technician.toml")
    shutil.copy(h.config_path, cfg)
    assert h.port is not None
    set_bus(cfg, h.port)
    return cfg


def test_a_technicians_call_is_announced_and_shown_on_the_board(
    local_hall: LocalHall, tmp_path: Path
) -> None:
    h = local_hall
    cfg = ["--config", str(technician_config(h))]
    _bus, kiosk = h.connect("kiosk-1", "kiosk")
    assert kiosk.run(c.IssueTicket("SB-001")).number == "A001"
    display = h.bus("display-1", "display")
    calls: queue.Queue[Message] = queue.Queue()
    display.subscribe(p.CALL_EVENT, calls.put)

    r = hall("queue", "signin", "1", "1024", *cfg, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "工号 1024 已在 1 号窗口签到"
    r = hall("queue", "call", "1", *cfg, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = as_json(r.stdout)
    assert out["ok"] is True and out["result"]["number"] == "A001"

    call = calls.get(timeout=10).payload  # announced, as a pad's call is
    assert (call["number"], call["counter"], call["recall"]) == ("A001", "1", False)
    assert [e["type"] for e in h.events()][-1] == "ticket.called"

    # A screen that starts now gets the board with the call from the retained state.
    h.settle(10)
    late = h.bus("display-late", "display")
    board = StateCache(late, topics=(p.BOARD,)).wait_for(p.BOARD, 10)
    assert board is not None
    assert board["calls"][0]["number"] == "A001" and board["seq"] == h.events()[-1]["seq"]

    r = hall("queue", "status", *cfg, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    status = as_json(r.stdout)
    assert status["hub"] == "up" and status["last_seq"] == board["seq"]
    assert status["counters"][0]["current"]["number"] == "A001"
    r = hall("queue", "status", *cfg, cwd=tmp_path)
    assert r.returncode == 0 and "1号窗口" in r.stdout and "A001" in r.stdout


def test_refusals_come_back_from_the_hub_and_change_nothing(
    local_hall: LocalHall, tmp_path: Path
) -> None:
    h = local_hall
    cfg = ["--config", str(technician_config(h))]
    before = h.events()
    r = hall("queue", "call", "99", *cfg, "--json", cwd=tmp_path)
    assert r.returncode == 3
    assert as_json(r.stdout)["error"]["code"] == "unknown_counter"
    r = hall("queue", "finish", "1", *cfg, cwd=tmp_path)
    assert r.returncode == 3 and one_line(r.stderr).endswith("]")
    r = hall("queue", "evaluate", "1", "7", *cfg, cwd=tmp_path)
    assert r.returncode == 2  # click: not in 1..5, never sent
    assert h.events() == before


def test_with_no_hub_on_the_bus_nothing_is_done(tmp_path: Path) -> None:
    """A Mosquitto without a hub (never started, no presence), then no Mosquitto at all."""
    config = sample_config_dir(tmp_path / "config")
    with MosquittoBroker(tmp_path / "mosquitto") as broker:
        set_bus(config, broker.port, timeout_s=1.0)
        r = hall("queue", "issue", "SB-001", "--config", str(config), cwd=tmp_path)
        assert r.returncode == 5 and r.stdout == ""
        line = one_line(r.stderr)
        assert line.startswith(HUB_DOWN) and "no hub answered" in line
    r = hall("queue", "call", "1", "--config", str(config), "--json", cwd=tmp_path)
    assert r.returncode == 5
    assert as_json(r.stdout)["error"]["code"] == "hub_unreachable"
    assert HUB_DOWN in one_line(r.stderr) and "does not answer" in r.stderr
    r = hall("queue", "status", "--config", str(config), cwd=tmp_path)
    assert r.returncode == 5 and HUB_DOWN in one_line(r.stderr)
    assert not (config.parent / "hall.db").exists()  # nobody opened the database


def test_the_hub_process_is_the_one_writer(tmp_path: Path) -> None:
    """`hall hub` running: queue commands go through it, init and rebuild are refused (also
    through a symlink to the database). Stopped: queue commands are refused, nothing changes,
    and rebuild may run."""
    config = sample_config_dir(tmp_path / "config")
    all_day_catalog(config.parent)
    db = config.parent / "hall.db"
    link = tmp_path / "elsewhere" / "hall.db"
    link.parent.mkdir()
    link.symlink_to(db)
    other = config.with_name("via-symlink.toml")  # the same hall, its database by another name
    with MosquittoBroker(tmp_path / "mosquitto") as broker:
        set_bus(config, broker.port)
        text = config.read_text(encoding="utf-8")
        other.write_text(text.replace('database = "hall.db"', f'database = "{link}"'))
        cfg = ["--config", str(config)]
        assert hall("init", *cfg, cwd=tmp_path).returncode == 0
        hub = HubProcess(config).start()
        try:
            wait_hub_status(broker.port, "up")
            for args in (["init", *cfg], ["rebuild", *cfg], ["rebuild", "--config", str(other)]):
                r = hall(*args, cwd=tmp_path)
                assert r.returncode == 4, (args, r.stderr)
                line = one_line(r.stderr)
                assert "is in use by hub" in line and "systemctl" in line, line
            r = hall("queue", "issue", "SB-001", *cfg, cwd=tmp_path)
            assert r.returncode == 0 and r.stdout.startswith("A001"), r.stderr
            assert hall("queue", "signin", "2", "1024", *cfg, cwd=tmp_path).returncode == 0
            r = hall("queue", "call", "2", *cfg, cwd=tmp_path)
            assert r.returncode == 0 and "请 A001 号到 2号窗口" in r.stdout, r.stderr
            r = hall("events", "--since", "2", *cfg, cwd=tmp_path)  # the read side, hub running
            lines = [as_json(x) for x in r.stdout.splitlines()]
            assert [x["type"] for x in lines][-1] == "ticket.called"
            assert [x["seq"] for x in lines] == list(range(3, 3 + len(lines)))
            assert hub.stop() == 0
        finally:
            hub.kill_if_running()
            print(hub.output())
        wait_hub_status(broker.port, "down")
        before = events(db)
        assert before[-1].type == "ticket.called"
        r = hall("queue", "finish", "2", *cfg, cwd=tmp_path)
        assert r.returncode == 5 and r.stdout == ""
        line = one_line(r.stderr)
        assert line.startswith(HUB_DOWN) and "the hub is down" in line
        assert events(db) == before
        r = hall("queue", "status", *cfg, "--json", cwd=tmp_path)
        assert r.returncode == 5 and as_json(r.stdout)["hub"] == "down"  # its last state
        assert "以上是它最后发布的状态" in one_line(r.stderr)
    r = hall("rebuild", "--check", "--config", str(other), cwd=tmp_path)
    assert r.returncode == 0 and "tables match" in r.stdout, r.stderr
    r = hall("report", "day", "--out", str(tmp_path / "rep"), *cfg, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = as_json(r.stdout)
    assert report["totals"]["issued"] == 1 and any(f.endswith(".png") for f in report["files"])
