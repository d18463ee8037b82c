"""deploy/install.sh into a temporary root (no apt, users or systemctl): the layout, `hall
doctor` of the installed software on a simulated hall, upgrade, failed migration, rollback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hall.store import schema
from tests.ops.conftest import SimHall

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy/install.sh"
VENV = Path(sys.prefix)


def install(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "HALL_CONFIG")}
    return subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--dev-venv", str(VENV), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def current(root: Path) -> str:
    return os.readlink(root / "opt/hall/current")


def test_install_then_doctor_on_a_simulated_hall(tmp_path: Path, sim_hall: SimHall) -> None:
    root = tmp_path / "root"
    trust = tmp_path / "prov.pub"
    trust.write_text("# none\n")
    done = install(root, "--version", "0.1.0", "--trust", str(trust))
    assert done.returncode == 0, done.stderr + done.stdout
    assert current(root) == "0.1.0"
    for rel in (
        "etc/systemd/system/hall-hub.service",
        "etc/systemd/system/hall-kiosk.service",
        "etc/systemd/system/hall.target",
        "etc/systemd/system/mosquitto.service.d/hall.conf",
        "etc/udev/rules.d/90-hall.rules",
        "etc/mosquitto/conf.d/hall.conf",
        "etc/hall/trust/provisioning.pub",
        "opt/hall/0.1.0/share/doc/hall/TECHNICIAN.md",
    ):
        assert (root / rel).is_file(), rel
    assert stat.S_IMODE((root / "etc/hall/secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "var/lib/hall").stat().st_mode) == 0o750
    assert "systemctl enable --now" not in done.stdout  # not provisioned: nothing to start

    etc = root / "etc/hall"
    for name in ("hall.toml", "catalog.json", "provisioned.json"):
        shutil.copy(sim_hall.config.parent / name, etc / name)
    hall = root / "opt/hall/current/bin/hall"
    ran = subprocess.run(
        [str(hall), "doctor", "--json", "--config", str(etc / "hall.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(ran.stdout)
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert ran.returncode == 0 and report["can_open"], failed
    assert {r["check"] for r in report["results"]} >= {"config", "database", "hall-bus", "printer"}

    # an upgrade keeps the previous version and backs the database up first
    done = install(root, "--version", "0.1.1")
    assert done.returncode == 0, done.stderr + done.stdout
    assert current(root) == "0.1.1" and os.readlink(root / "opt/hall/previous") == "0.1.0"
    assert list((root / "var/lib/hall/backups").glob("hall-*.db"))
    assert "hall-hub.service" in done.stdout  # provisioned roles: the units to enable


def test_failed_migration_switches_back(tmp_path: Path) -> None:
    from appliance.local import sample_config_dir
    from hall.core.timekeeping import FixedClock
    from hall.store.store import HallStore
    from tests.conftest import at

    root = tmp_path / "root"
    assert install(root, "--version", "1.0.0").returncode == 0
    for old in ("0.9.1", "0.9.2"):  # older versions left from before
        (root / "opt/hall" / old).mkdir()
    assert install(root, "--version", "1.1.0", "--keep", "2").returncode == 0
    kept = sorted(p.name for p in (root / "opt/hall").iterdir() if not p.is_symlink())
    assert kept == ["1.0.0", "1.1.0"]  # current and previous are always kept

    etc = root / "etc/hall"
    config = sample_config_dir(tmp_path / "sample")
    db = root / "var/lib/hall/hall.db"
    (etc / "hall.toml").write_text(
        config.read_text().replace('database = "hall.db"', f'database = "{db}"')
    )
    shutil.copy(config.parent / "catalog.json", etc / "catalog.json")
    from appliance import config as hall_config

    cfg = hall_config.load(etc / "hall.toml")
    store = HallStore(
        db, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=FixedClock(at("09:00"))
    )
    store.setup(cfg.load_catalog()[1], cfg.counters_wire())
    store.close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")  # "from the future"
    conn.close()
    before = db.read_bytes()

    done = install(root, "--version", "1.2.0")
    assert done.returncode != 0
    assert "switched back to 1.1.0" in done.stdout
    assert "newer than this software" in done.stderr
    assert current(root) == "1.1.0" and os.readlink(root / "opt/hall/previous") == "1.0.0"
    assert not (root / "opt/hall/1.2.0").exists()
    assert db.read_bytes() == before

    done = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--rollback"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert current(root) == "1.0.0" and os.readlink(root / "opt/hall/previous") == "1.1.0"


@pytest.mark.parametrize("args", [["--bogus"], ["--version", "../x"]])
def test_bad_options(tmp_path: Path, args: list[str]) -> None:
    done = install(tmp_path / "root", *args)
    assert done.returncode != 0 and "install: error" in done.stderr
    assert not (tmp_path / "root/opt").exists()


def test_the_roles_to_start_come_from_the_config(tmp_path: Path) -> None:
    """`[hall] roles` in hall.toml wins over provisioned.json (kept for older installs)."""
    root = tmp_path / "root"
    assert install(root, "--version", "2.0.0").returncode == 0
    etc = root / "etc/hall"
    (etc / "provisioned.json").write_text(json.dumps({"hall_id": "410411-ZH01", "roles": ["hub"]}))
    (etc / "hall.toml").write_text(
        '[hall]\nid = "410411-ZH01"\nname = "x"\ndatabase = "hall.db"\n'
        'roles = ["display", "kiosk"]\n'  # no [[counters]]: not a hub box
    )
    done = install(root, "--version", "2.0.1")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "systemctl enable --now hall.target hall-display.service hall-kiosk.service" in (
        done.stdout
    )
    assert "hall-hub.service" not in done.stdout
    (etc / "hall.toml").unlink()  # an install from before the key: provisioned.json
    done = install(root, "--version", "2.0.2")
    assert done.returncode == 0 and "hall.target hall-hub.service" in done.stdout
