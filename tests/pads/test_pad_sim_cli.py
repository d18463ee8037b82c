"""The simulator's command line: a technician's pty, driven from stdin."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key, KeyEvent
from counter_pad.master import BusMaster, MasterSettings
from counter_pad.memory import InMemoryPadMemory
from counter_pad.port import SerialPort
from counter_pad.sim_cli import parse_addresses
from tests.pads.padbus import wait_for


def test_parse_addresses() -> None:
    assert parse_addresses("1-3,7") == [1, 2, 3, 7]
    assert parse_addresses("") == []


@pytest.mark.timeout(20)
def test_cli_prints_the_pty_and_a_master_takes_a_scripted_press() -> None:
    cmd = [
        sys.executable,
        "-m",
        "counter_pad.simulator",
        "--pty",
        "--pads",
        "1-2",
        "--baud",
        "115200",
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/")
        keys: list[KeyEvent] = []
        port = SerialPort(path, 115200)
        settings = MasterSettings("cli", addresses=(1, 2), baud=115200)
        master = BusMaster(port, settings, InMemoryPadMemory(), keys.append)
        stop = threading.Event()
        thread = threading.Thread(target=master.run, args=(stop,), daemon=True)
        thread.start()
        proc.stdin.write("press 2 CALL_NEXT\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "event 1"
        assert wait_for(lambda: len(keys) == 1)
        master.show(2, "A001 办理中", "等候 0 人")
        assert proc.stdout.readline().strip() == "display 2: A001 办理中 | 等候 0 人"
        stop.set()
        thread.join(timeout=5)
        port.close()
        assert (keys[0].address, keys[0].key) == (2, Key.CALL_NEXT)
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.wait()


def test_cli_commands_for_the_new_faults() -> None:
    from counter_pad.sim_cli import run_command
    from counter_pad.simulator import PadSimulator, open_pty

    link, _path = open_pty()
    sim = PadSimulator(link, {3: v1.DeviceType.CALL_PAD}, seed=3)
    try:
        boot = sim.v1[3].boot_id
        assert run_command(sim, ["reboot", "3", "same"]) == "ok" and sim.v1[3].boot_id == boot
        assert run_command(sim, ["reboot", "3"]) == "ok" and sim.v1[3].boot_id != boot
        assert run_command(sim, ["busy", "3", "2"]) == "ok" and sim.faults(3).busy == 2
        assert run_command(sim, ["noise", "20"]) == "ok"
    finally:
        link.close()
