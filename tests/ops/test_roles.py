"""`[hall] roles`: the roles of this box in its config. Counters only where the hub runs;
`hall doctor` checks the config's roles (provisioned.json for installs from before);
provisioning writes them."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance import config as hall_config
from appliance.ops.checks.base import Context, Options
from tests.ops.pki import HALL_ID, City

ME = pwd.getpwuid(os.geteuid()).pw_name
HALL = f'[hall]\nid = "{HALL_ID}"\nname = "x"\n'
COUNTER = '[[counters]]\nid = "1"\nservices = ["SB-001"]\n'


def load(tmp_path: Path, text: str) -> hall_config.HallConfig:
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return hall_config.load(path)


def test_default_is_every_role_on_one_box(tmp_path: Path) -> None:
    cfg = load(tmp_path, HALL + COUNTER)
    assert cfg.hall.roles == ["hub", "kiosk", "display", "pads", "sync"]
    assert not cfg.roles_given and cfg.has_role("hub")


def test_only_the_hub_needs_counters(tmp_path: Path) -> None:
    cfg = load(tmp_path, HALL + 'roles = ["kiosk", "display"]\n')
    assert cfg.counters == [] and cfg.roles_given and not cfg.has_role("hub")
    with pytest.raises(hall_config.ConfigError) as err:
        load(tmp_path, HALL + 'roles = ["hub", "sync"]\n')
    assert str(err.value) == (
        f"{tmp_path / 'hall.toml'}: key 'counters' is required on a box that runs the hub "
        '([hall] roles has "hub"): add at least one [[counters]] (id, services)'
    )
    with pytest.raises(hall_config.ConfigError, match="key 'counters' is required"):
        load(tmp_path, HALL)  # the default roles include the hub: old files unchanged


@pytest.mark.parametrize(
    ("roles", "words"),
    [
        ('["hub", "tv"]', "hall.roles.1"),
        ("[]", "hall.roles"),
        ('["kiosk", "kiosk"]', "role(s) listed twice: kiosk"),
        ('"hub"', "hall.roles"),
    ],
)
def test_bad_roles_are_named(tmp_path: Path, roles: str, words: str) -> None:
    with pytest.raises(hall_config.ConfigError) as err:
        load(tmp_path, HALL + f"roles = {roles}\n" + COUNTER)
    assert words in str(err.value)


def test_duplicate_counters_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(hall_config.ConfigError, match="key 'counters': counter id"):
        load(tmp_path, HALL + COUNTER + COUNTER)


def doctor_roles(config: Path, roles: tuple[str, ...] | None = None) -> Context:
    ctx = Context(config, Options(roles=roles))
    ctx.load()
    return ctx


def test_doctor_takes_the_config_roles_before_provisioned_json(tmp_path: Path) -> None:
    config = tmp_path / "hall.toml"
    marker = tmp_path / "provisioned.json"
    config.write_text(HALL + COUNTER, encoding="utf-8")
    assert doctor_roles(config).roles_source.startswith("default")  # not provisioned
    marker.write_text(json.dumps({"hall_id": HALL_ID, "roles": ["hub", "pads"]}))
    ctx = doctor_roles(config)  # an install from before the key: provisioned.json
    assert ctx.roles == ("hub", "pads") and ctx.roles_source == str(marker)
    config.write_text(HALL + 'roles = ["display", "kiosk"]\n', encoding="utf-8")
    ctx = doctor_roles(config)
    assert ctx.roles == ("kiosk", "display") and ctx.roles_known
    assert ctx.roles_source == f"{config} [hall] roles"
    assert doctor_roles(config, ("sync",)).roles == ("sync",)  # --roles wins


def test_doctor_on_a_display_box_without_counters(tmp_path: Path) -> None:
    from appliance.ops import checks

    config = tmp_path / "hall.toml"
    config.write_text(HALL + 'roles = ["display"]\n[bus]\nport = 9\n', encoding="utf-8")
    ctx = doctor_roles(config)
    out = {r.check: r for r in checks.run_checks(ctx, ["config", "database", "printer"])}
    assert out["config"].status == "ok", out["config"]
    assert out["config"].summary == f"{HALL_ID} x, roles display"
    assert out["config"].details["roles_from"] == f"{config} [hall] roles"
    assert out["database"].status == "skip" and out["printer"].status == "skip"


@pytest.fixture(scope="module")
def city() -> City:
    return City()


def provision(tmp_path: Path, city: City, text: str) -> hall_config.HallConfig:
    from appliance.ops.cli import provision as command

    bundle = tmp_path / "b.hp1"
    bundle.write_text(text)
    argv = [str(bundle), "--config", str(tmp_path / "etc/hall.toml"), "--state-dir"]
    argv += [str(tmp_path / "state"), "--trust", str(city.trust_file(tmp_path)), "--owner", ME]
    res = CliRunner().invoke(command, argv, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return hall_config.load(tmp_path / "etc/hall.toml")


def test_provisioning_writes_the_roles(tmp_path: Path, city: City) -> None:
    cfg = provision(tmp_path, city, city.bundle())
    assert cfg.roles_given and cfg.hall.roles == ["hub", "kiosk", "display", "pads", "sync"]
    assert [c.id for c in cfg.counters] == ["1", "2"]


def test_a_kiosk_box_gets_no_counters(tmp_path: Path, city: City) -> None:
    cfg = provision(tmp_path, city, city.bundle(roles=["kiosk"], city=None))
    assert cfg.hall.roles == ["kiosk"] and cfg.counters == []
    assert "[[counters]]" not in (tmp_path / "etc/hall.toml").read_text()
    ctx = doctor_roles(tmp_path / "etc/hall.toml")
    assert ctx.roles == ("kiosk",) and ctx.roles_source.endswith("[hall] roles")


def test_a_pads_box_keeps_its_devices_counters(tmp_path: Path, city: City) -> None:
    cfg = provision(tmp_path, city, city.bundle(roles=["pads"], city=None))
    assert cfg.hall.roles == ["pads"] and [c.id for c in cfg.counters] == ["1", "2"]


def test_hub_and_init_refuse_a_box_without_the_hub_role(tmp_path: Path) -> None:
    from appliance.cli.main import cli

    path = tmp_path / "hall.toml"
    path.write_text(HALL + 'roles = ["kiosk", "display"]\n', encoding="utf-8")
    (tmp_path / "catalog.json").write_text(
        (Path(__file__).parents[2] / "appliance/sim/data/catalog.json").read_text("utf-8"), "utf-8"
    )
    for args in (["hub", "--config", str(path)], ["init", "--config", str(path)]):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 2, out.output
        assert 'does not include "hub"' in out.output
    assert not list(tmp_path.glob("*.db"))  # nothing was created
    out = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert out.exit_code == 0, out.output
    assert "roles kiosk display" in out.output and "counters" not in out.output
