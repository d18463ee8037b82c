"""Enrolling and the files of trust: one step on each box, refused whole when it does not fit,
secrets readable by their owner only, the registry believed only when root wrote it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.ops import busfiles, enroll
from hall.bus import passwd
from hall.devices import DeviceRegistry, RegistryError
from tests.security.site import Site

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def join(bundle: Path | str, config: Path) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["device", "join", str(bundle), "--config", str(config)])
    return done.exit_code, done.output


def a_box(folder: Path, hall_id: str, roles: str = '["kiosk"]') -> Path:
    folder.mkdir(parents=True)
    config = folder / "hall.toml"
    config.write_text(f'[hall]\nid = "{hall_id}"\nname = "x"\nroles = {roles}\n', encoding="utf-8")
    return config


def test_the_installed_mosquitto_settings_are_the_products() -> None:
    text = (ROOT / "deploy/mosquitto/hall.conf").read_text(encoding="utf-8")
    assert text == busfiles.hall_conf_text()
    assert "allow_anonymous false" in text and "listener 1883 127.0.0.1" in text


def test_a_bundle_for_another_hall_changes_nothing(site: Site, tmp_path: Path) -> None:
    bundle = tmp_path / "k.hb1"
    done = site.hall("device", "add", "kiosk-o", "--role", "kiosk", "--out", str(bundle))
    assert done.exit_code == 0, done.output
    config = a_box(tmp_path / "box", "999999-ELSE")
    before = config.read_bytes()
    code, out = join(bundle, config)
    assert code != 0 and "for hall 410411-ZH01" in out
    assert config.read_bytes() == before and not (tmp_path / "box/secrets").exists()


def test_a_box_that_does_not_run_the_role_is_refused(site: Site, tmp_path: Path) -> None:
    bundle = tmp_path / "d.hb1"
    done = site.hall("device", "add", "display-o", "--role", "display", "--out", str(bundle))
    assert done.exit_code == 0, done.output
    config = a_box(tmp_path / "box", "410411-ZH01", '["kiosk"]')
    code, out = join(bundle, config)
    assert code != 0 and "does not run the display role" in out


@pytest.mark.parametrize(
    "text",
    ["HB1.!!!not-base64", "HP1.a-city-bundle.sig", "HB1." + "A" * 40],
    ids=["damaged", "not-an-enrollment", "not-compressed"],
)
def test_a_damaged_bundle_is_refused(tmp_path: Path, text: str) -> None:
    config = a_box(tmp_path / "box", "410411-ZH01")
    before = config.read_bytes()
    code, out = join(text, config)
    assert code != 0 and out.strip()
    assert config.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["kiosk-1.doctor", "--role", "kiosk"], "reserved"),
        (["pads-x", "--role", "pads"], "needs --counters"),
        (["pads-x", "--role", "pads", "--counters", "1,99"], "needs --counters"),
        (["kiosk-y", "--role", "kiosk", "--counters", "1"], "only a pad line"),
        (["display-1", "--role", "display"], "a role of this hub box"),
        (["bad/id", "--role", "kiosk"], "1-64 of"),
    ],
    ids=["probe-name", "pads-without-counters", "unknown-counter", "kiosk-counters", "own", "bad"],
)
def test_an_enrollment_that_does_not_fit_is_refused(
    site: Site, args: list[str], words: str
) -> None:
    registry = site.config.parent / "devices.toml"
    before = registry.read_bytes() if registry.exists() else b""
    done = site.hall("device", "add", *args)
    assert done.exit_code != 0 and words in done.output, done.output
    assert (registry.read_bytes() if registry.exists() else b"") == before


def test_enrolling_twice_is_refused(site: Site) -> None:
    site.enroll("kiosk-twice", "kiosk")
    done = site.hall("device", "add", "kiosk-twice", "--role", "kiosk")
    assert done.exit_code != 0 and "enrolled already" in done.output


def test_secrets_are_their_owners_only(site: Site) -> None:
    files = site.files
    for path in (files.passwd, files.acl, files.server_key):
        assert mode(path) == 0o640, path  # root:mosquitto on a box
    assert mode(files.ca_key) == 0o600 and mode(files.ca_cert) == 0o644
    keys = site.config.parent / "secrets/bus"
    assert mode(keys / "tool-local.key") == 0o600  # root's own
    assert mode(keys / "kiosk-1.key") == 0o600  # hall-kiosk's on a box
    box = site.enroll("kiosk-modes", "kiosk")
    assert mode(box.config.parent / "secrets/bus/kiosk-modes.key") == 0o600
    tool = site.enroll("tech-1", "tool")
    assert mode(tool.config.parent / "secrets/bus/tech-1.key") == 0o600


def test_the_hub_box_keeps_hashes_only(site: Site) -> None:
    box = site.enroll("kiosk-hash", "kiosk")
    password = (box.config.parent / "secrets/bus/kiosk-hash.key").read_text().strip()
    registry = (site.config.parent / "devices.toml").read_text(encoding="utf-8")
    assert password not in registry
    assert password not in site.files.passwd.read_text(encoding="ascii")
    hashed = passwd.parse_passwd(site.files.passwd.read_text(encoding="ascii"))["kiosk-hash"]
    assert passwd.verify("kiosk-hash", password, hashed)
    assert not passwd.verify("kiosk-hash", password + "x", hashed)


def test_the_list_shows_enrolled_and_revoked_devices(site: Site) -> None:
    site.enroll("kiosk-gone", "kiosk")
    assert site.hall("device", "revoke", "kiosk-gone").exit_code == 0
    done = site.hall("device", "list", "--json")
    rows = {r["id"]: r for r in json.loads(done.output)["devices"]}
    assert rows["kiosk-gone"]["revoked"] is True and rows["kiosk-gone"]["where"] == "enrolled"
    assert rows["kiosk-1"]["where"] == "this box" and rows["kiosk-1"]["revoked"] is False
    assert "kiosk-gone" not in site.files.acl.read_text(encoding="utf-8")


def test_a_registry_others_could_write_is_not_believed(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text('[[device]]\nid = "tool-evil"\nrole = "tool"\n', encoding="utf-8")
    os.chmod(path, 0o666)
    with pytest.raises(RegistryError, match="writable by a user other than root"):
        DeviceRegistry([], source=path)
    os.chmod(path, 0o644)
    assert DeviceRegistry([], source=path).get("tool-evil") is not None


def test_a_bundle_is_one_line_and_carries_no_more_than_it_must(site: Site, tmp_path: Path) -> None:
    bundle = tmp_path / "b.hb1"
    done = site.hall("device", "add", "kiosk-b", "--role", "kiosk", "--out", str(bundle))
    assert done.exit_code == 0
    assert mode(bundle) == 0o600
    text = bundle.read_text().strip()
    assert "\n" not in text and len(text) < 2000  # fits a QR code
    e = enroll.decode(text)
    assert (e.device, e.role, e.port) == ("kiosk-b", "kiosk", site.lan_port)
    assert "BEGIN CERTIFICATE" in e.ca_pem and "PRIVATE KEY" not in e.ca_pem
