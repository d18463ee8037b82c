"""`hall provision`: good, foreign, tampered and expired bundles; modes, owners, merging."""

from __future__ import annotations

import base64
import json
import os
import pwd
import stat
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from appliance import config as hall_config
from appliance.ops import bundle, files
from appliance.ops.cli import provision
from hall import tokens
from tests.ops.pki import CATALOG, HALL_ID, City

ME = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture(scope="module")
def city() -> City:
    return City()


def run(tmp_path: Path, city: City, *args: str, input: str | None = None) -> Result:
    trust = city.trust_file(tmp_path)
    argv = [
        *args,
        "--config",
        str(tmp_path / "etc/hall.toml"),
        "--state-dir",
        str(tmp_path / "state"),
        "--trust",
        str(trust),
        "--owner",
        ME,
    ]
    return CliRunner().invoke(provision, argv, input=input, catch_exceptions=False)


def write_bundle(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bundle.hp1"
    path.write_text(text)
    return str(path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_good_bundle_writes_config_and_secrets(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, write_bundle(tmp_path, city.bundle()))
    assert res.exit_code == 0, res.output
    etc = tmp_path / "etc"
    cfg = hall_config.load(etc / "hall.toml")
    assert cfg.hall.id == HALL_ID
    assert cfg.database_path == tmp_path / "state/hall.db"
    assert cfg.sync.broker_url == "mqtts://cityq.example.cn:8883"
    assert (cfg.base / cfg.sync.key_file).read_bytes().startswith(b"-----BEGIN PRIVATE KEY")
    assert cfg.kiosk.city_public_key == city.token_public_b64()
    assert tokens.load_hash_key(cfg.base / cfg.kiosk.id_hash_key_file) == b"k" * 32
    assert (cfg.base / cfg.kiosk.id_hash_key_file).read_text() == (b"k" * 32).hex() + "\n"
    catalog, _ = cfg.load_catalog()  # what `hall config check` does
    assert catalog.version >= 1
    assert [c.id for c in cfg.counters] == ["1", "2"]
    assert mode(etc / "secrets/hall.key") == 0o600  # hall-sync's on a box
    assert mode(etc / "secrets/id-hash.key") == 0o600  # hall-kiosk's
    assert mode(etc / "secrets") == 0o750
    assert mode(etc / "hall.toml") == 0o640
    assert mode(etc / "hall.crt") == 0o644
    assert (etc / "secrets/hall.key").stat().st_uid == os.geteuid()
    marker = json.loads((etc / "provisioned.json").read_text())
    assert marker["roles"] == ["hub", "kiosk", "display", "pads", "sync"]
    assert marker["cert_not_after"]
    assert "systemctl enable --now hall.target hall-hub" in res.output
    assert not list(etc.rglob(".*.tmp"))


def test_keys_in_the_citys_forms_hex_and_pem(tmp_path: Path, city: City) -> None:
    """Contract v1.1: the identity-hash key as 64 lowercase hex characters, the token key as
    PEM SubjectPublicKeyInfo (base64 forms are taken too, above)."""
    key = bytes(range(32))
    pem = city.token_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = city.bundle(
        roles=["kiosk"], city=None, id_hash_key=key.hex(), token_public_key=pem.decode()
    )
    res = run(tmp_path, city, write_bundle(tmp_path, text))
    assert res.exit_code == 0, res.output
    cfg = hall_config.load(tmp_path / "etc/hall.toml")
    assert tokens.load_hash_key(cfg.base / cfg.kiosk.id_hash_key_file) == key
    assert cfg.kiosk.city_public_key == city.token_public_b64()  # one line in the config
    signed = tokens.sign_token(
        {
            "id": "AP1",
            "hall": HALL_ID,
            "service": "SB-001",
            "date": "2026-11-27",
            "slot_start": "09:00",
            "slot_end": "09:30",
            "exp": 4102444800,
        },
        city.token_key,
    )
    public = tokens.load_public_key(cfg.kiosk.city_public_key)
    assert tokens.verify_token(signed, public, now=0).appointment_id == "AP1"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("id_hash_key", "ab" * 16, "32 hex characters"),
        ("id_hash_key", base64.b64encode(b"k" * 16).decode(), "16 bytes"),
        ("id_hash_key", "zz" * 32, "64 hex characters"),
        ("token_public_key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "PEM"),
        ("token_public_key", base64.b64encode(b"x" * 31).decode(), "31 bytes"),
    ],
)
def test_bad_key_is_refused_and_changes_nothing(
    tmp_path: Path, city: City, field: str, value: str, says: str
) -> None:
    res = run(tmp_path, city, write_bundle(tmp_path, city.bundle(**{field: value})))
    assert res.exit_code != 0 and says in res.output, res.output
    assert snapshot(tmp_path / "etc") == {}


def test_qr_text_and_json_output(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, city.bundle(roles=["kiosk"], city=None), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["ok"] and out["roles"] == ["kiosk"]
    etc = tmp_path / "etc"
    # a kiosk box gets no client key for the city link
    assert not (etc / "secrets/hall.key").exists()
    assert (etc / "secrets/id-hash.key").exists()


def test_foreign_bundle_is_refused_and_changes_nothing(tmp_path: Path, city: City) -> None:
    assert run(tmp_path, city, write_bundle(tmp_path, city.bundle())).exit_code == 0
    before = snapshot(tmp_path / "etc")
    other = city.bundle(hall_id="410411-XX02", client=city.issue("410411-XX02"))
    res = run(tmp_path, city, write_bundle(tmp_path, other))
    assert res.exit_code == 3
    assert "for hall 410411-XX02" in res.output and "belongs to hall 410411-ZH01" in res.output
    assert snapshot(tmp_path / "etc") == before


def test_hall_option_refuses_another_hall(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, write_bundle(tmp_path, city.bundle()), "--hall", "410411-XX02")
    assert res.exit_code == 3
    assert not (tmp_path / "etc").exists()


def test_tampered_bundle_is_refused(tmp_path: Path, city: City) -> None:
    body, sig = bundle.split(city.bundle())
    data = json.loads(body)
    data["city"]["broker_url"] = "mqtts://evil.example.com:8883"
    forged = bundle.sign(data, city.prov_key).split(".")
    tampered = f"{forged[0]}.{forged[1]}.{bundle._b64url(sig)}"  # old signature, new payload
    res = run(tmp_path, city, write_bundle(tmp_path, tampered))
    assert res.exit_code == 3
    assert "signature is not valid" in res.output
    assert not (tmp_path / "etc").exists()


def test_bundle_signed_by_someone_else_is_refused(tmp_path: Path, city: City) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    text = bundle.sign(city.payload(), ed25519.Ed25519PrivateKey.generate())
    res = run(tmp_path, city, text)
    assert res.exit_code == 3 and "signature" in res.output


def test_expired_certificate_is_refused(tmp_path: Path, city: City) -> None:
    old = city.issue(HALL_ID, start_days=-400, days=-2)
    res = run(tmp_path, city, city.bundle(client=old))
    assert res.exit_code == 3
    assert "expired" in res.output and "new provisioning bundle" in res.output
    assert not (tmp_path / "etc").exists()


def test_expired_bundle_is_refused(tmp_path: Path, city: City) -> None:
    past = datetime.now(UTC) - timedelta(days=40)
    text = city.bundle(
        issued_at=past.isoformat(), expires_at=(past + timedelta(days=30)).isoformat()
    )
    res = run(tmp_path, city, text)
    assert res.exit_code == 3 and "bundle expired" in res.output


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ("other-cn", "is for '410411-ZH99'"),
        ("other-ca", "not signed by the city CA"),
        ("other-key", "private key does not belong"),
    ],
)
def test_wrong_certificate_is_refused(
    tmp_path: Path, city: City, client: str, message: str
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    if client == "other-cn":
        issued = city.issue("410411-ZH99")
    elif client == "other-ca":
        issued = city.issue(HALL_ID, signer=ec.generate_private_key(ec.SECP256R1()))
    else:
        good, other = city.issue(HALL_ID), city.issue(HALL_ID)
        issued = type(good)(good.cert_pem, other.key_pem)
    res = run(tmp_path, city, city.bundle(client=issued))
    assert res.exit_code == 3
    assert message in res.output


@pytest.mark.parametrize(
    "text", ["hello", "HP1.abc", "HP1.!!!.???", "HP1." + "A" * 40 + "." + "B" * 40]
)
def test_malformed_bundle(tmp_path: Path, city: City, text: str) -> None:
    res = run(tmp_path, city, text)
    assert res.exit_code in (2, 3)
    assert not (tmp_path / "etc").exists()


def test_missing_trust_file(tmp_path: Path, city: City) -> None:
    argv = [city.bundle(), "--config", str(tmp_path / "h.toml"), "--trust", str(tmp_path / "x")]
    argv += ["--owner", ME]
    res = CliRunner().invoke(provision, argv)
    assert res.exit_code == 3 and "no trusted provisioning key" in res.output


def test_reprovision_keeps_local_settings_and_a_backup(tmp_path: Path, city: City) -> None:
    assert run(tmp_path, city, city.bundle()).exit_code == 0
    cfg_path = tmp_path / "etc/hall.toml"
    data = tomllib.loads(cfg_path.read_text())
    data["queue"] = {"number_width": 4}
    data["kiosk"]["technician_pin"] = "246810"
    from hall import tomlwrite

    cfg_path.write_text(tomlwrite.dumps(data))
    res = run(tmp_path, city, city.bundle(bundle_id="B-0002", counters=[]))
    assert res.exit_code == 0, res.output
    cfg = hall_config.load(cfg_path)
    assert cfg.queue.number_width == 4
    assert cfg.kiosk.technician_pin == "246810"
    assert [c.id for c in cfg.counters] == ["1", "2"]  # kept from the config
    assert "number_width = 4" in (tmp_path / "etc/hall.toml.bak").read_text()


def test_hub_without_catalog_is_refused(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, city.bundle(catalog=None))
    assert res.exit_code == 3 and "no catalog" in res.output


def test_dry_run_writes_nothing(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, city.bundle(), "--dry-run")
    assert res.exit_code == 0 and "dry run" in res.output
    assert not (tmp_path / "etc").exists()


def test_owner_as_root_needs_the_service_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)

    def no_user(name: str) -> Any:
        raise KeyError(name)

    monkeypatch.setattr(pwd, "getpwnam", no_user)
    with pytest.raises(files.OwnerError, match=r"no user 'hall-hub'.*install\.sh"):
        files.resolve_owner()


def test_owner_is_the_current_user_when_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 12345)
    monkeypatch.setattr(
        pwd, "getpwuid", lambda uid: pwd.struct_passwd(("x", "", uid, 7, "", "/", ""))
    )
    assert files.resolve_owner() == files.Owner("x", 12345, 7)


def _answers_en(city: City, tmp_path: Path) -> str:
    c = city.issue(HALL_ID)
    (tmp_path / "ca.pem").write_bytes(city.ca_pem)
    (tmp_path / "c.pem").write_bytes(c.cert_pem)
    (tmp_path / "k.pem").write_bytes(c.key_pem)
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    return "\n".join(
        [
            "410411-zh01",  # lower case is accepted and upper-cased
            "湛河区政务服务中心",
            "hub,kiosk,sync,bogus",  # refused, asked again
            "hub,kiosk,sync",
            "http://x",  # not mqtts: asked again
            "mqtts://cityq.example.cn:8883",
            str(tmp_path / "ca.pem"),
            str(tmp_path / "c.pem"),
            str(tmp_path / "k.pem"),
            city.token_public_b64(),
            base64.b64encode(b"s" * 32).decode(),
            str(tmp_path / "catalog.json"),
            "y",
            "",
        ]
    )


def test_interactive_in_english(tmp_path: Path, city: City) -> None:
    res = run(tmp_path, city, "--interactive", "--lang", "en", input=_answers_en(city, tmp_path))
    assert res.exit_code == 0, res.output
    assert "Hall id" in res.output and "unknown role" in res.output
    cfg = hall_config.load(tmp_path / "etc/hall.toml")
    assert cfg.hall.id == HALL_ID and cfg.sync.broker_url.startswith("mqtts://")
    assert cfg.counters[0].id == "1"  # one counter for every service, with a warning
    assert "edit [[counters]]" in res.output


def test_interactive_in_chinese_can_be_declined(tmp_path: Path, city: City) -> None:
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    catalog = tmp_path / "catalog.json"
    answers = f"410411-ZH01\n测试大厅\nkiosk\n192.168.1.10\n\n\n{catalog}\nn\n"
    res = run(tmp_path, city, "--interactive", "--lang", "zh", input=answers)
    assert "大厅编号" in res.output and "写入以上配置" in res.output
    assert res.exit_code == 1 and not (tmp_path / "etc").exists()


def test_unwritable_folder_is_a_clear_error(tmp_path: Path, city: City) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/secrets").write_text("a file where the folder should be")
    res = run(tmp_path, city, city.bundle())
    assert res.exit_code == 1 and "cannot write" in res.output
    assert not (tmp_path / "etc/hall.toml").exists()
