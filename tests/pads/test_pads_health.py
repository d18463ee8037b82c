"""Each line's health: counters written to the pads' memory, noisy lines reported to the
hub, and `hall doctor` reading what `hall pads` wrote."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appliance.ops import checks
from appliance.ops.checks.base import Context, Options, Result
from counter_pad import frames_v1 as v1
from counter_pad.durable import LineHealth
from counter_pad.keys import Key
from counter_pad.memory import SqlitePadMemory
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(60)


def line_state(rig: PadRig) -> list[tuple[int, str]]:
    return [
        (int(ok), str(state))
        for ok, state in rig.query("SELECT ok, state FROM devices WHERE device = 'pads-1/b1'")
    ]


def test_a_noisy_line_is_written_down_and_reported_then_clean_again(tmp_path: Path) -> None:
    rig = PadRig(tmp_path, {1: ("1", "call_pad")}, start=False)
    try:
        rig.start_pads(health_s=0.5)
        rig.issue("SB-001", 2)
        rig.press(1, Key.LOGIN, "1001")
        rig.settle()
        bad = bytearray(v1.encode_events(1, 0x10, 0, 0x4242, []))
        bad[-2] ^= 0x55
        end = time.monotonic() + 1.5
        while time.monotonic() < end:  # a second and a half of a bad cable
            rig.sim.inject(bytes(bad) + b"\x55\x00noise" + v1.encode_events(9, 1, 0, 7, []))
            time.sleep(0.01)
        assert wait_for(lambda: line_state(rig) == [(0, "noisy")], timeout=5)
        (health,) = rig.memory.durable.health()
        assert health.line == "b1" and health.counters["bad_crc"] > 0
        assert health.counters["foreign_frames"] > 0 and health.counters["noise_bytes"] > 0
        detail = rig.query("SELECT detail FROM devices WHERE device = 'pads-1/b1'")[0][0]
        assert "bad_crc" in detail
        rig.press(1, Key.CALL_NEXT)  # the line still carries presses
        rig.expect(1, "A001 已呼叫")
        assert wait_for(lambda: line_state(rig) == [(1, "ok")], timeout=5)
    finally:
        rig.close()


def doctor_config(tmp_path: Path) -> Path:
    from appliance.local import sample_config_dir

    path = sample_config_dir(tmp_path)
    pads = (
        '\n[pads]\nstate_file = "pads-state.db"\n[[pads.buses]]\nname = "b1"\n'
        'port = "/dev/null"\ndevices = [{ address = 1, counter = "1" }]\n'
    )
    path.write_text(path.read_text(encoding="utf-8") + pads, encoding="utf-8")
    return path


def doctor(config: Path, now: float) -> dict[str, Result]:
    ctx = Context(config, Options(), wall=lambda: now)
    ctx.load()
    return {r.check: r for r in checks.run_checks(ctx, ["pads"])}


def write(config: Path, health: LineHealth) -> None:
    memory = SqlitePadMemory(config.parent / "pads-state.db")
    memory.durable.health_put(health)
    memory.close()


def test_doctor_reports_each_line_from_the_pads_memory(tmp_path: Path) -> None:
    config = doctor_config(tmp_path)
    assert doctor(config, 1000.0)["pad lines"].status == "skip"  # `hall pads` never ran
    clean = {"timeouts": 2}
    write(config, LineHealth("b1", {"timeouts": 2, "retries": 4}, 1000.0, clean, 10.0))
    r = doctor(config, 1005.0)["pad line b1"]
    assert r.status == "ok" and "last 10 s: timeouts 2" in r.summary
    assert r.details["counters"] == {"timeouts": 2, "retries": 4}
    noisy = {"bad_crc": 40, "noise_bytes": 900, "foreign_frames": 3}
    write(config, LineHealth("b1", {"bad_crc": 44, "noise_bytes": 900}, 1010.0, noisy, 10.0))
    r = doctor(config, 1012.0)["pad line b1"]
    assert r.status == "warn" and "noisy line" in r.summary and "terminator" in r.fix
    assert "bad_crc 40" in r.summary
    r = doctor(config, 1100.0)["pad line b1"]  # nothing written for 90 s
    assert r.status == "warn" and "is `hall pads` running" in r.summary
