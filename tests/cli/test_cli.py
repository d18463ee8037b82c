"""The `hall` command as staff and technicians use it: real processes, real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "config/examples/county-hall.toml"


def hall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def hall_dir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "hall.toml")
    shutil.copy(ROOT / "config/examples/catalog.json", tmp_path / "catalog.json")
    return tmp_path


def test_init_issue_call_status_events_report(hall_dir: Path) -> None:
    cfg = ["--config", str(hall_dir / "hall.toml")]
    r = hall("init", *cfg, cwd=hall_dir)
    assert r.returncode == 0, r.stderr
    assert "catalog v1 (13 services), 10 counters" in r.stdout
    r = hall("queue", "issue", "SB-001", *cfg, "--json", cwd=hall_dir)
    # The example hall is open on weekdays only: either a ticket or a clear refusal.
    data = json.loads(r.stdout)
    if r.returncode == 3:
        assert data["error"]["code"] in {"outside_hours", "clock_not_set"}
        assert data["error"]["message"]
        return
    assert r.returncode == 0 and data["result"]["number"] == "A001"
    assert hall("queue", "signin", "1", "1024", *cfg, cwd=hall_dir).returncode == 0
    r = hall("queue", "call", "1", *cfg, cwd=hall_dir)
    assert r.returncode == 0 and "请 A001 号到 1号窗口" in r.stdout
    r = hall("queue", "status", *cfg, "--json", cwd=hall_dir)
    status = json.loads(r.stdout)
    assert status["counters"][0]["current"]["number"] == "A001"
    r = hall("events", "--since", "0", *cfg, cwd=hall_dir)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["seq"] for x in lines] == list(range(1, len(lines) + 1))
    assert lines[-1]["type"] == "ticket.called"
    r = hall("report", "day", "--out", str(hall_dir / "rep"), *cfg, cwd=hall_dir)
    assert r.returncode == 0, r.stderr
    assert (hall_dir / "rep").glob("*.png")
    assert hall("rebuild", "--check", *cfg, cwd=hall_dir).returncode == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("number_width = 3", "number_wdith = 3"), "key 'queue.number_wdith' is not a known"),
        (("number_width = 3", "number_width = 9"), "key 'queue.number_width'"),
        (("number_width = 3", 'number_width = "3"'), "key 'queue.number_width'"),
        (('id = "410411-ZH01"', 'id = "ZH01"'), "key 'hall.id': must look like 410411-ZH01"),
        (('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'), "not a known time zone"),
        (('after_max = "widen"', 'after_max = "wrap"'), "key 'queue.after_max'"),
        (('services = ["HY-001"]', 'services = ["HY-999"]'), "HY-999 are not in the catalog"),
        (("[queue]", "[queue"), "not valid TOML"),
    ],
)
def test_bad_config_is_refused_and_changes_nothing(
    hall_dir: Path, edit: tuple[str, str], message: str
) -> None:
    toml = hall_dir / "hall.toml"
    text = toml.read_text(encoding="utf-8")
    assert edit[0] in text
    toml.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    r = hall("init", "--config", str(toml), cwd=hall_dir)
    assert r.returncode == 2
    assert message in r.stderr and str(toml) in r.stderr
    assert not (hall_dir / "hall.db").exists()
    r = hall("config", "check", str(toml), cwd=hall_dir)
    assert r.returncode == 2 and message in r.stderr


def test_commands_before_init_and_bad_commands(hall_dir: Path) -> None:
    cfg = ["--config", str(hall_dir / "hall.toml")]
    r = hall("queue", "status", *cfg, cwd=hall_dir)
    assert r.returncode == 4 and "hall init" in r.stderr
    hall("init", *cfg, cwd=hall_dir)
    before = hall("events", *cfg, cwd=hall_dir).stdout
    for args in (
        ["queue", "call", "99"],
        ["queue", "finish", "1"],
        ["queue", "evaluate", "1", "7"],
        ["queue", "transfer", "1"],
    ):
        r = hall(*args, *cfg, cwd=hall_dir)
        assert r.returncode != 0 and r.stderr.strip(), args
    assert hall("events", *cfg, cwd=hall_dir).stdout == before


def test_missing_config_file(tmp_path: Path) -> None:
    r = hall("init", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert r.returncode == 2 and "no such config file" in r.stderr
