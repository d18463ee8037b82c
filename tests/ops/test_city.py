"""The doctor's city check against a real Mosquitto with TLS and client certificates,
on a box provisioned from a bundle."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.ops import checks
from appliance.ops.checks.base import Context, Options, Result
from appliance.ops.cli import provision
from hall.bus.broker import MosquittoBroker
from tests.ops.pki import HALL_ID, City

ME = pwd.getpwuid(os.geteuid()).pw_name


class TlsBroker(MosquittoBroker):
    def __init__(self, folder: Path, city: City) -> None:
        super().__init__(folder)
        folder.mkdir(parents=True, exist_ok=True)
        server = city.issue("localhost", server=True)
        (folder / "ca.pem").write_bytes(city.ca_pem)
        (folder / "server.crt").write_bytes(server.cert_pem)
        (folder / "server.key").write_bytes(server.key_pem)

    def config_text(self) -> str:
        text = super().config_text().replace("allow_anonymous true", "allow_anonymous false")
        d = self.directory
        return text + (
            f"cafile {d / 'ca.pem'}\ncertfile {d / 'server.crt'}\nkeyfile {d / 'server.key'}\n"
            "require_certificate true\nuse_identity_as_username true\n"
        )


@pytest.fixture(scope="module")
def city() -> City:
    return City()


@pytest.fixture
def broker(tmp_path: Path, city: City) -> Iterator[TlsBroker]:
    with TlsBroker(tmp_path / "city-mq", city) as b:
        yield b


def provisioned(tmp_path: Path, city: City, port: int, **over: object) -> Path:
    payload_city = {
        "broker_url": f"mqtts://localhost:{port}",
        "ca_pem": city.ca_pem.decode(),
    }
    client = over.pop("client", None) or city.issue(HALL_ID)
    payload_city["cert_pem"] = client.cert_pem.decode()  # type: ignore[attr-defined]
    payload_city["key_pem"] = client.key_pem.decode()  # type: ignore[attr-defined]
    text = city.bundle(roles=["hub", "sync"], city=payload_city, **over)
    config = tmp_path / "etc/hall.toml"
    argv = [text, "--config", str(config), "--state-dir", str(tmp_path / "state")]
    argv += ["--trust", str(city.trust_file(tmp_path)), "--owner", ME]
    res = CliRunner().invoke(provision, argv, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return config


def city_results(config: Path) -> dict[str, Result]:
    ctx = Context(config, Options(timeout=3))
    ctx.load()
    return {r.check: r for r in checks.run_checks(ctx, ["city"])}


def test_city_broker_reachable_with_tls(tmp_path: Path, city: City, broker: TlsBroker) -> None:
    out = city_results(provisioned(tmp_path, city, broker.port))
    assert out["city-certificate"].status == "ok"
    assert out["city"].status == "ok", out["city"]
    assert "TLS" in out["city"].summary


def test_city_broker_down(tmp_path: Path, city: City) -> None:
    from hall.bus.broker import free_port

    out = city_results(provisioned(tmp_path, city, free_port()))
    assert out["city"].status == "warn"
    assert "cannot connect" in out["city"].summary and "8883" in out["city"].fix


def test_certificate_expiring_soon(tmp_path: Path, city: City, broker: TlsBroker) -> None:
    config = provisioned(tmp_path, city, broker.port, client=city.issue(HALL_ID, days=10))
    out = city_results(config)
    assert out["city-certificate"].status == "warn"
    assert "expires in 10 days" in out["city-certificate"].summary or "expires in 9 days" in (
        out["city-certificate"].summary
    )


def test_certificate_expired_after_provisioning(
    tmp_path: Path, city: City, broker: TlsBroker
) -> None:
    config = provisioned(tmp_path, city, broker.port)
    old = city.issue(HALL_ID, start_days=-30, days=-1)
    (config.parent / "hall.crt").write_bytes(old.cert_pem)
    (config.parent / "secrets/hall.key").write_bytes(old.key_pem)
    out = city_results(config)
    assert out["city-certificate"].status == "warn" and "expired" in out["city-certificate"].summary
    assert out["city"].status == "warn"  # the broker refuses it too


def test_certificate_files_missing(tmp_path: Path, city: City, broker: TlsBroker) -> None:
    config = provisioned(tmp_path, city, broker.port)
    (config.parent / "secrets/hall.key").unlink()
    out = city_results(config)
    assert out["city"].status == "warn" and "key_file" in out["city"].summary


def test_city_link_faults_recorded_by_sync(tmp_path: Path, city: City, broker: TlsBroker) -> None:
    from appliance import config as hall_config
    from sync.state import SyncState

    config = provisioned(tmp_path, city, broker.port)
    cfg = hall_config.load(config)
    out = city_results(config)
    assert out["city-link"].status == "skip" and "has not run" in out["city-link"].summary
    state = SyncState(cfg.base / cfg.sync.state_file)
    state.raise_fault("ack_ahead", "the city acked 5200; this hall has sent events up to 200", 1.0)
    state.close()
    out = city_results(config)
    assert out["city-link"].status == "warn"
    assert "ack_ahead" in out["city-link"].summary and "5200" in out["city-link"].summary
    assert "hall sync clear ack_ahead" in out["city-link"].fix
    state = SyncState(cfg.base / cfg.sync.state_file)
    state.clear_fault("ack_ahead")
    state.close()
    assert city_results(config)["city-link"].status == "ok"


def test_another_halls_certificate_is_named(tmp_path: Path, city: City, broker: TlsBroker) -> None:
    config = provisioned(tmp_path, city, broker.port)
    other = city.issue("410402-XH01")
    (config.parent / "hall.crt").write_bytes(other.cert_pem)
    (config.parent / "secrets/hall.key").write_bytes(other.key_pem)
    out = city_results(config)
    cert = out["city-certificate"]
    assert cert.status == "warn" and "'410402-XH01', not this hall" in cert.summary
