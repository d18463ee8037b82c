"""The systemd units, the Mosquitto settings and the udev rules."""

from __future__ import annotations

import configparser
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = [*sorted((ROOT / "systemd").glob("hall*.service")), ROOT / "systemd/hall.target"]
ROLE_UNITS = [u for u in UNITS if u.suffix == ".service"]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_every_role_has_a_unit() -> None:
    names = {u.name for u in UNITS}
    for role in ("hub", "kiosk", "display", "pads", "sync"):
        assert f"hall-{role}.service" in names
    assert (ROOT / "systemd/mosquitto.service.d/hall.conf").exists()


@pytest.mark.parametrize("path", ROLE_UNITS, ids=lambda p: p.name)
def test_role_unit_settings(path: Path) -> None:
    u = unit(path)
    s = u["Service"]
    assert s["Type"] == "notify"
    assert int(s["WatchdogSec"].rstrip("s")) >= 30
    assert s["Restart"] == "always"
    assert int(u["Unit"]["StartLimitBurst"]) > 0 and u["Unit"]["StartLimitIntervalSec"]
    role = path.stem.removeprefix("hall-")
    assert s["User"] == f"hall-{role}"  # a user per role (deploy/install.sh makes them)
    assert s["Group"] == ("hall-db" if role == "hub" else f"hall-{role}")
    groups = set(s.get("SupplementaryGroups", "").split())
    assert "hall" in groups  # reads the config
    assert groups - {"hall"} <= {"dialout", "lp", "input", "audio", "video", "render", "hall-db"}
    assert ("hall-db" in groups or s["Group"] == "hall-db") == (role in ("hub", "sync"))
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "StandardError": "journal",
    }.items():
        assert s[key] == value, key
    assert "/var/lib/hall" in s["ReadWritePaths"].split()
    assert s["ExecStart"].split("--config")[1].strip() == "/etc/hall/hall.toml"
    assert "/opt/hall/current/bin/hall" in s["ExecStart"]
    if path.name in ("hall-kiosk.service", "hall-display.service"):
        assert s["ExecStart"].startswith("/usr/bin/cage ")
        assert s["NotifyAccess"] == "all"  # the role is cage's child
        assert "setterm --blank 0" in s["ExecStartPre"]
    else:
        assert s["NotifyAccess"] == "main"


def test_only_the_hub_and_sync_may_read_the_database() -> None:
    """The database's group is hall-db: the hub (its primary group) and sync (reads the
    outbox); the kiosk, the display and the pads are not in it."""
    for path in ROLE_UNITS:
        s = unit(path)["Service"]
        groups = {s["Group"], *s.get("SupplementaryGroups", "").split()}
        assert ("hall-db" in groups) == (path.name in ("hall-hub.service", "hall-sync.service"))


def test_only_sync_writes_the_config_folder() -> None:
    for path in ROLE_UNITS:
        rw = unit(path)["Service"]["ReadWritePaths"].split()
        assert ("/etc/hall" in rw) == (path.name == "hall-sync.service"), path.name


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root for `systemd-analyze verify --root`: the system's units, our units, and a stub
    for every program the units run."""
    root = tmp_path_factory.mktemp("root")
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    dest = root / "etc/systemd/system"
    shutil.copytree(ROOT / "systemd", dest)
    if not (root / "usr/lib/systemd/system/mosquitto.service").exists():
        (root / "usr/lib/systemd/system/mosquitto.service").write_text(
            "[Unit]\nDescription=stand-in\n[Service]\nType=notify\n"
            "ExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf\n"
        )
    programs = {"/usr/sbin/mosquitto", "/bin/mkdir", "/bin/chown", "/bin/kill"}
    for path in dest.rglob("*"):
        if path.is_file():
            for line in path.read_text().splitlines():
                m = re.match(r"^Exec\w*=[-+@!:]*(/\S+)", line)
                if m:
                    programs.add(m.group(1))
    for prog in programs:
        stub = root / prog.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    return root


def verify(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze (or the system's unit files) not on this box",
)


@needs_analyze
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify(fake_root: Path, path: Path) -> None:
    done = verify(fake_root, str(fake_root / "etc/systemd/system" / path.name))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warnings


@needs_analyze
def test_systemd_analyze_verify_mosquitto_drop_in(fake_root: Path) -> None:
    done = verify(fake_root, "mosquitto.service")
    assert done.returncode == 0, done.stderr
    assert "hall.conf" not in done.stderr and done.stderr.strip() == "", done.stderr


EXPOSURE_MAX = 3.0


@needs_analyze
@pytest.mark.parametrize("path", ROLE_UNITS, ids=lambda p: p.name)
def test_systemd_analyze_security(tmp_path: Path, path: Path) -> None:
    """`systemd-analyze security` rates every unit 3.0 or better (lower is better)."""
    shutil.copy(path, tmp_path / path.name)
    done = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=true",
            f"--threshold={int(EXPOSURE_MAX * 10)}",
            str(tmp_path / path.name),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert m, done.stdout + done.stderr
    assert float(m.group(1)) <= EXPOSURE_MAX, done.stdout
    assert done.returncode == 0, done.stdout[-2000:]


@needs_analyze
def test_verify_catches_a_mistake(fake_root: Path, tmp_path: Path) -> None:
    bad = fake_root / "etc/systemd/system/hall-broken.service"
    bad.write_text(
        (ROOT / "systemd/hall-hub.service").read_text().replace("WatchdogSec", "WatchdogSecs")
    )
    try:
        done = verify(fake_root, str(bad))
        assert "Unknown key" in done.stderr
    finally:
        bad.unlink()


def test_mosquitto_takes_the_hall_conf(tmp_path: Path) -> None:
    """deploy/mosquitto/hall.conf as installed (its paths moved into a folder), with the LAN
    listener `hall device setup --lan` writes: Mosquitto starts on them."""
    import os
    import pwd
    import time

    from appliance.ops import busfiles
    from hall.bus.broker import find_mosquitto, free_port

    text = (ROOT / "deploy/mosquitto/hall.conf").read_text()
    assert "set_tcp_nodelay true" in text and "listener 1883 127.0.0.1" in text
    assert "allow_anonymous false" in text
    files = busfiles.BusFiles(tmp_path / "etc", tmp_path / "conf.d")
    files.bus_dir.mkdir(parents=True)
    files.ca_cert.parent.mkdir(parents=True)
    files.passwd.write_text("")
    files.acl.write_text("")
    ca, ca_key = busfiles.make_ca("000000-TEST")
    cert, key = busfiles.make_server_cert(ca, ca_key, ["localhost"])
    files.ca_cert.write_bytes(ca)
    files.server_cert.write_bytes(cert)
    files.server_key.write_bytes(key)
    port, lan = free_port(), free_port()
    text = text.replace("/etc/hall/", f"{files.etc}/").replace("listener 1883", f"listener {port}")
    conf = tmp_path / "m.conf"
    user = pwd.getpwuid(os.getuid()).pw_name
    conf.write_text(f"user {user}\n" + text + busfiles.lan_conf_text(files, lan, "127.0.0.1"))
    proc = subprocess.Popen(
        [find_mosquitto(), "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        for p in (port, lan):
            while True:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)


UDEV_MATCH = {"SUBSYSTEM", "KERNEL", "KERNELS", "ATTR", "ATTRS", "ENV", "DRIVERS", "ACTION"}
UDEV_ASSIGN = {"GROUP", "MODE", "SYMLINK", "ENV", "OWNER", "TAG", "RUN"}
TOKEN = re.compile(r'\s*([A-Z]+)(\{[A-Za-z_0-9]+\})?\s*(==|!=|\+=|:=|=)\s*"([^"]*)"\s*(,|$)')


def test_udev_rules_parse() -> None:
    rules = (ROOT / "deploy/udev/90-hall.rules").read_text()
    seen: dict[str, int] = {}
    for n, line in enumerate(rules.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pos, matches, assigns = 0, 0, 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            assert m, f"line {n}: cannot parse at {line[pos : pos + 30]!r}"
            key, op = m.group(1), m.group(3)
            if op in ("==", "!="):
                assert key in UDEV_MATCH, f"line {n}: {key} is not a match key"
                matches += 1
            else:
                assert key in UDEV_ASSIGN, f"line {n}: {key} cannot be assigned"
                assigns += 1
            if key == "SYMLINK":
                seen[m.group(4).split("$")[0]] = n
            pos = m.end()
        assert matches and assigns, f"line {n}: a rule needs a match and an assignment"
    assert {"hall-printer", "hall-pads-", "input/hall-scanner"} <= set(seen)
    assert 'ENV{LIBINPUT_IGNORE_DEVICE}="1"' in rules
