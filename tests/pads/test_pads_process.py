"""`hall pads` as a process on a real Mosquitto: SIGKILL with presses in flight, config errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from counter_pad.keys import Key
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(90)
ROOT = Path(__file__).resolve().parents[2]


def pads_toml(section: dict[str, Any]) -> str:
    out = ["", "[pads]", f"notice_seconds = {section['notice_seconds']}"]
    for b in section["buses"]:
        devices = ", ".join(
            f'{{ address = {d["address"]}, counter = "{d["counter"]}", kind = "{d["kind"]}" }}'
            for d in b["devices"]
        )
        out += [
            "[[pads.buses]]",
            f'name = "{b["name"]}"',
            f'port = "{b["port"]}"',
            f'profile = "{b["profile"]}"',
            f"baud = {b['baud']}",
            f"devices = [{devices}]",
        ]
    return "\n".join(out) + "\n"


def write_config(rig: PadRig) -> Path:
    text = rig.hall.config_path.read_text(encoding="utf-8")
    text = text.replace("port = 1883", f"port = {rig.hall.port}")
    path = rig.hall.config_path.parent / "pads.toml"
    path.write_text(text + pads_toml(rig.section), encoding="utf-8")
    return path


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "appliance", "-v", "pads", "--config", str(config)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def test_master_killed_with_presses_in_flight_acts_on_each_once(tmp_path: Path) -> None:
    rig = PadRig(
        tmp_path, {1: ("1", "call_pad"), 2: ("2", "call_pad")}, transport="mqtt", start=False
    )
    config = write_config(rig)
    log = tmp_path / "pads.log"
    proc = start(config, log)
    try:
        rig.expect(1, "未签到", timeout=15)
        rig.issue("SB-001", 6)
        rig.press(1, Key.LOGIN, "1001")
        rig.press(2, Key.LOGIN, "1002")
        rig.expect(1, "空闲", "等候 6 人")
        rig.expect(2, "空闲", "等候 6 人")
        assert wait_for(lambda: rig.sim.pending_events(1) == rig.sim.pending_events(2) == 0)

        rig.sim.set_deaf_acks(1)  # pad 1 answers but keeps its presses unacknowledged
        rig.press(1, Key.CALL_NEXT)
        assert wait_for(lambda: rig.called("1") == ["A001"])  # acted on by the hub …
        assert rig.sim.pending_events(1) == 1  # … and still held by the pad
        rig.sim.set_silent(2)  # pad 2 is cut off: its press is not even seen
        rig.press(2, Key.CALL_NEXT)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL

        rig.sim.set_deaf_acks(1, False)
        rig.sim.set_silent(2, False)
        rig.press(1, Key.RECALL)  # pressed while no master runs
        proc = start(config, log)
        assert wait_for(
            lambda: rig.sim.pending_events(1) == rig.sim.pending_events(2) == 0, timeout=15
        ), log.read_text()
        rig.expect(1, "A001 已呼叫")
        rig.expect(2, "A002 已呼叫")
        assert rig.called("1") == ["A001"] and rig.called("2") == ["A002"]
        assert [c["recall"] for c in rig.calls if c["counter"] == "1"] == [False, True]
        keys = rig.pad_keys()
        assert len(keys) == 5 and all(n == 1 for n in Counter(keys).values()), keys

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        rig.close()


def prompts_in(path: Path) -> list[str]:
    """The evaluator prompts a running `hall pads` keeps in its memory file."""
    import sqlite3

    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT number FROM prompts")]
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def test_a_prompt_pending_when_pads_are_killed_is_asked_after_restart(tmp_path: Path) -> None:
    rig = PadRig(
        tmp_path, {1: ("1", "call_pad"), 2: ("1", "evaluator")}, transport="mqtt", start=False
    )
    config = write_config(rig)
    memory = config.parent / "pads-state.db"
    log = tmp_path / "pads.log"
    proc = start(config, log)
    try:
        rig.expect(1, "未签到", timeout=15)
        rig.issue("SB-001", 2)
        for key, arg in ((Key.LOGIN, "1001"), (Key.CALL_NEXT, ""), (Key.START, "")):
            rig.press(1, key, arg)
        rig.expect(1, "A001 办理中", timeout=10)
        rig.sim.set_silent(2)  # the evaluator's cable is loose: EVAL_START cannot go out
        rig.press(1, Key.FINISH)
        assert wait_for(lambda: prompts_in(memory) == ["A001"], timeout=10), log.read_text()
        assert wait_for(lambda: rig.sim.pending_events(1) == 0)  # FINISH acknowledged
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        rig.sim.set_silent(2, False)
        proc = start(config, log)
        assert wait_for(lambda: rig.sim.evaluating(2) == "A001", timeout=15), log.read_text()
        rig.sim.rate(2, 5)
        assert wait_for(
            lambda: rig.query("SELECT number, rating FROM evaluations") == [("A001", 5)], timeout=10
        )
        assert wait_for(lambda: prompts_in(memory) == [])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        rig.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "HALL_CONFIG": ""},
    )


def sample_config(tmp_path: Path, pads: str) -> Path:
    from appliance.local import sample_config_dir

    path = sample_config_dir(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + pads, encoding="utf-8")
    return path


def test_cli_refuses_a_config_with_nothing_to_run(tmp_path: Path) -> None:
    done = run_cli("pads", "--config", str(sample_config(tmp_path, "")))
    assert done.returncode == 2
    assert "[pads] has no buses and no keypads" in done.stderr


def test_cli_names_an_unknown_counter(tmp_path: Path) -> None:
    pads = (
        '\n[[pads.buses]]\nname = "b1"\nport = "/dev/ttyUSB9"\n'
        'devices = [{ address = 3, counter = "77" }]\n'
    )
    done = run_cli("pads", "--config", str(sample_config(tmp_path, pads)))
    assert done.returncode == 2
    assert "pads.buses[b1].devices[address=3].counter" in done.stderr
    assert "'77'" in done.stderr


def test_cli_names_a_bad_baud(tmp_path: Path) -> None:
    pads = (
        '\n[[pads.buses]]\nname = "b1"\nport = "/dev/ttyUSB9"\nbaud = 4800\n'
        'devices = [{ address = 3, counter = "1" }]\n'
    )
    done = run_cli("pads", "--config", str(sample_config(tmp_path, pads)))
    assert done.returncode == 2
    assert "pads.buses.0.baud" in done.stderr
