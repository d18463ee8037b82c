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
    assert stat.S_IMODE((root / "etc/hall/secrets").stat().st_mode) == 0o750  # root:hall
    assert stat.S_IMODE((root / "etc/hall/trust").stat().st_mode) == 0o755  # root's
    assert stat.S_IMODE((root / "var/lib/hall").stat().st_mode) == 0o750  # the hub's
    assert stat.S_IMODE((root / "var/lib/hall/backups").stat().st_mode) == 0o700  # root's
    for name in ("passwd", "acl"):  # nobody may use the hall bus before provisioning
        assert (root / "etc/hall/bus" / name).read_text() == ""
    conf = (root / "etc/mosquitto/conf.d/hall.conf").read_text()
    assert "allow_anonymous false" in conf and "listener 1883 127.0.0.1" in conf
    assert not (root / "etc/mosquitto/conf.d/hall-lan.conf").exists()
    assert (root / "opt/hall/0.1.0/share/hall/system/systemd/hall-hub.service").is_file()
    assert "systemctl enable --now" not in done.stdout  # not provisioned: nothing to start

    etc = root / "etc/hall"
    for name in ("hall.toml", "catalog.json", "provisioned.json"):
        shutil.copy(sim_hall.config.parent / name, etc / name)
    shutil.copytree(sim_hall.config.parent / "secrets/bus", etc / "secrets/bus")
    hall = root / "opt/hall/current/bin/hall"
    mq = ["--mosquitto-conf", str(sim_hall.broker.conf_path)]
    ran = subprocess.run(
        [str(hall), "doctor", "--json", "--config", str(etc / "hall.toml"), *mq],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(ran.stdout)
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert ran.returncode == 0 and report["can_open"], failed
    assert {r["check"] for r in report["results"]} >= {
        "config",
        "database",
        "hall-bus",
        "bus-anonymous",
        "bus-transport",
        "bus-credentials",
        "printer",
    }

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


def hub_config(root: Path, tmp_path: Path) -> Path:
    """A provisioned hub box in the tree (the sample county hall)."""
    from appliance.local import sample_config_dir

    etc = root / "etc/hall"
    config = sample_config_dir(tmp_path / "sample")
    db = root / "var/lib/hall/hall.db"
    text = config.read_text().replace('database = "hall.db"', f'database = "{db}"')
    text = text.replace("[hall]\n", '[hall]\nroles = ["hub"]\n', 1)  # as provisioning writes
    (etc / "hall.toml").write_text(text)
    shutil.copy(config.parent / "catalog.json", etc / "catalog.json")
    return etc / "hall.toml"


def test_the_lan_listener_stays_on_every_upgrade(tmp_path: Path) -> None:
    """Re-running the installer without --lan used to cut off every other box."""
    root = tmp_path / "root"
    assert install(root, "--version", "3.0.0").returncode == 0
    hub_config(root, tmp_path)
    lan = root / "etc/mosquitto/conf.d/hall-lan.conf"
    done = install(root, "--version", "3.0.1", "--lan")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "listener 8883" in lan.read_text() and "certfile" in lan.read_text()
    assert (root / "etc/hall/trust/hall-bus-ca.pem").is_file()
    passwd = (root / "etc/hall/bus/passwd").read_text()
    assert passwd.startswith("hub:$7$") and "tool-local:" in passwd  # the box's own roles
    done = install(root, "--version", "3.0.2")
    assert done.returncode == 0 and lan.exists(), done.stdout
    assert "the LAN listener (TLS) stays" in done.stdout
    done = install(root, "--version", "3.0.3", "--no-lan")
    assert done.returncode == 0 and not lan.exists()


def test_lan_asked_before_provisioning_comes_with_it(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = install(root, "--version", "4.0.0", "--lan")
    assert done.returncode == 0 and "once this box is provisioned" in done.stdout
    assert (root / "etc/hall/bus/lan-wanted").exists()
    hub_config(root, tmp_path)
    done = install(root, "--version", "4.0.1")  # the next install runs `hall device setup`
    assert done.returncode == 0, done.stderr + done.stdout
    assert (root / "etc/mosquitto/conf.d/hall-lan.conf").exists()
    assert not (root / "etc/hall/bus/lan-wanted").exists()


def test_a_failed_migration_puts_the_old_system_files_back(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(root, "--version", "5.0.0").returncode == 0
    config = hub_config(root, tmp_path)
    assert install(root, "--version", "5.0.1").returncode == 0
    unit = root / "etc/systemd/system/hall-hub.service"
    rules = root / "etc/udev/rules.d/90-hall.rules"
    mq = root / "etc/mosquitto/conf.d/hall.conf"
    for f in (unit, rules, mq):  # as the installed version (5.0.1) had them
        f.write_text(f.read_text() + "# 5.0.1\n")
    db = root / "var/lib/hall/hall.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    done = install(root, "--version", "5.0.2")
    assert (
        done.returncode != 0 and "units, udev rules and Mosquitto settings are back" in done.stdout
    )
    for f in (unit, rules, mq):
        assert f.read_text().endswith("# 5.0.1\n"), f
    assert current(root) == "5.0.1"
    del config


def test_rollback_brings_back_the_previous_versions_system_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(root, "--version", "6.0.0").returncode == 0
    old = root / "opt/hall/6.0.0/share/hall/system/systemd/hall-kiosk.service"
    old.write_text(old.read_text() + "# 6.0.0\n")
    assert install(root, "--version", "6.0.1").returncode == 0
    unit = root / "etc/systemd/system/hall-kiosk.service"
    assert not unit.read_text().endswith("# 6.0.0\n")
    done = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--rollback"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert current(root) == "6.0.0" and unit.read_text().endswith("# 6.0.0\n")
