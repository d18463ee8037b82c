"""The `hall` command as staff and technicians use it: real processes, real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import EXAMPLE, hall
from tests.conftest import ROOT


@pytest.fixture
def hall_dir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "hall.toml")
    shutil.copy(ROOT / "config/examples/catalog.json", tmp_path / "catalog.json")
    return tmp_path


def test_init_then_events_report_rebuild_without_a_hub(hall_dir: Path) -> None:
    """What runs on the hub's box with the hub stopped; the queue commands, which need the
    hub, are in test_queue_hub.py."""
    cfg = ["--config", str(hall_dir / "hall.toml")]
    r = hall("init", *cfg, cwd=hall_dir)
    assert r.returncode == 0, r.stderr
    assert "created" in r.stdout and "catalog v1 (13 services), 10 counters" in r.stdout
    r = hall("init", *cfg, cwd=hall_dir)
    assert r.returncode == 0 and r.stdout.startswith("updated"), r.stderr
    r = hall("events", "--since", "0", *cfg, cwd=hall_dir)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["seq"] for x in lines] == [1, 2]
    assert [x["type"] for x in lines] == ["catalog.applied", "counters.configured"]
    r = hall("events", "--since", "1", *cfg, cwd=hall_dir)
    assert [json.loads(x)["seq"] for x in r.stdout.splitlines()] == [2]
    r = hall("report", "day", "--out", str(hall_dir / "rep"), *cfg, cwd=hall_dir)
    assert r.returncode == 3 and "no tickets yet" in r.stderr
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


def test_commands_before_init(hall_dir: Path) -> None:
    cfg = ["--config", str(hall_dir / "hall.toml")]
    for args in (["events"], ["report", "day"], ["rebuild", "--check"]):
        r = hall(*args, *cfg, cwd=hall_dir)
        assert r.returncode == 4 and "does not exist" in r.stderr, (args, r.stderr)
    assert not (hall_dir / "hall.db").exists() and not (hall_dir / "hall.db.lock").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    r = hall("init", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert r.returncode == 2 and "no such config file" in r.stderr


def test_config_check_warns_without_the_citys_ticket_url(hall_dir: Path) -> None:
    """A kiosk box without [kiosk] ticket_url prints tickets without a QR code (a hall never
    makes an address up): valid, with a warning that says what to do; not on other boxes."""
    toml = hall_dir / "hall.toml"
    r = hall("config", "check", str(toml), cwd=hall_dir)
    assert r.returncode == 0 and ": ok" in r.stdout, r.stderr
    assert "warning: [kiosk] ticket_url is empty" in r.stderr
    assert "ask the city for ticket_url (provisioning bundle or down/config)" in r.stderr
    text = toml.read_text(encoding="utf-8")
    url = 'ticket_url = "https://m.city.example/q/{hall_id}/{ticket_id}"'
    toml.write_text(f"{text}\n[kiosk]\n{url}\n", encoding="utf-8")
    r = hall("config", "check", str(toml), cwd=hall_dir)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    hub_only = text.replace("[hall]\n", '[hall]\nroles = ["hub", "sync"]\n', 1)
    toml.write_text(hub_only, encoding="utf-8")
    r = hall("config", "check", str(toml), cwd=hall_dir)
    assert r.returncode == 0 and "roles hub sync" in r.stdout and r.stderr == "", r.stderr
    toml.write_text(f'{text}\n[kiosk]\nticket_url = "hall.example"\n', encoding="utf-8")
    r = hall("config", "check", str(toml), cwd=hall_dir)
    assert r.returncode == 2 and "kiosk.ticket_url" in r.stderr  # no {ticket_id}: refused
