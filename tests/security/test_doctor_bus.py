"""`hall doctor` reports a hall bus that lets anyone in, plain TCP off loopback, a box without
its password, and a certificate that ends within 30 days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from appliance.ops import busfiles, checks
from appliance.ops.checks.base import Context, Options, Result
from appliance.ops.checks.bussec import read_listeners
from hall.bus.broker import MosquittoBroker
from tests.security.site import Site


def run(config: Path, only: tuple[str, ...], **options: Any) -> list[Result]:
    ctx = Context(config, Options(**options))
    ctx.load()
    return checks.run_checks(ctx, list(only))


def by_check(results: list[Result]) -> dict[str, list[Result]]:
    out: dict[str, list[Result]] = {}
    for r in results:
        out.setdefault(r.check, []).append(r)
    return out


def test_the_hall_as_set_up_passes(site: Site) -> None:
    got = by_check(
        run(
            site.config, ("bus-security", "hall-bus"), mosquitto_conf=site.folder / "mosquitto.conf"
        )
    )
    for name in ("bus-anonymous", "bus-transport", "bus-credentials", "bus-certificate"):
        assert {r.status for r in got[name]} == {"ok"}, got[name]
    assert got["hall-bus"][0].status == "ok"
    assert got["hub"][0].status == "ok"  # read with the doctor's probe (`hub.doctor`)


def test_an_enrolled_box_passes_over_tls(site: Site) -> None:
    box = site.enroll("display-doc", "display")
    got = by_check(run(box.config, ("bus-security", "hall-bus")))
    for name in ("bus-anonymous", "bus-transport", "bus-credentials", "bus-certificate"):
        assert {r.status for r in got[name]} == {"ok"}, got[name]
    assert got["hub"][0].status == "ok"


def test_an_open_broker_is_reported(tmp_path: Path, site: Site) -> None:
    with MosquittoBroker(tmp_path / "open") as broker:  # allow_anonymous true
        config = tmp_path / "hall.toml"
        text = site.config.read_text(encoding="utf-8")
        config.write_text(
            text.replace(f"port = {site.port}", f"port = {broker.port}"), encoding="utf-8"
        )
        for name in ("catalog.json",):
            (tmp_path / name).write_bytes((site.config.parent / name).read_bytes())
        got = by_check(run(config, ("bus-security",), mosquitto_conf=broker.conf_path))
    assert got["bus-anonymous"][0].status == "fail"
    transport = got["bus-transport"][0]
    assert transport.status == "fail" and "allow_anonymous true" in transport.summary


def test_plain_tcp_off_loopback_is_reported(tmp_path: Path, site: Site) -> None:
    conf = tmp_path / "mosquitto.conf"
    (tmp_path / "conf.d").mkdir()
    conf.write_text(f"include_dir {tmp_path / 'conf.d'}\n", encoding="utf-8")
    (tmp_path / "conf.d/hall.conf").write_text(
        "allow_anonymous false\nlistener 1883 127.0.0.1\nlistener 1884\n", encoding="utf-8"
    )
    got = by_check(run(site.config, ("bus-security",), mosquitto_conf=conf))
    transport = got["bus-transport"][0]
    assert transport.status == "fail" and "listener 1884 (every interface) without TLS" in (
        transport.summary
    )
    box = site.enroll("kiosk-plain", "kiosk")
    text = box.config.read_text(encoding="utf-8").replace("tls = true", "tls = false")
    text = text.replace('host = "127.0.0.1"', 'host = "192.0.2.1"')  # the hub box on the LAN
    box.config.write_text(text.replace(f"port = {site.lan_port}", "port = 1883"), "utf-8")
    got = by_check(run(box.config, ("bus-security",), timeout=0.5))
    assert got["bus-transport"][0].status == "fail"
    assert "over plain TCP" in got["bus-transport"][0].summary


def test_a_listener_setting_before_any_listener_is_reported(tmp_path: Path) -> None:
    """Mosquitto 2.0.11 opens its default listener (0.0.0.0:1883, plain) for it."""
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        "allow_anonymous false\nuse_username_as_clientid true\nlistener 1883 127.0.0.1\n",
        encoding="utf-8",
    )
    listeners, problems = read_listeners(conf)
    assert listeners[0].port == 1883 and listeners[0].address == ""
    assert problems and "default listener" in problems[0]


def test_the_products_settings_have_no_such_trap(tmp_path: Path) -> None:
    files = busfiles.BusFiles(tmp_path / "etc", tmp_path / "conf.d")
    files.mosquitto.mkdir(parents=True)
    (files.mosquitto / "hall.conf").write_text(busfiles.hall_conf_text(files), encoding="utf-8")
    (files.mosquitto / "hall-lan.conf").write_text(busfiles.lan_conf_text(files), encoding="utf-8")
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"include_dir {files.mosquitto}\n", encoding="utf-8")
    listeners, problems = read_listeners(conf)
    assert problems == []
    assert sorted((x.port, x.address, x.tls) for x in listeners) == [
        (1883, "127.0.0.1", False),  # plain TCP on loopback only
        (8883, "", True),  # the LAN: TLS
    ]


def test_a_box_without_its_password_is_reported(site: Site) -> None:
    box = site.enroll("kiosk-doc", "kiosk")
    key = box.config.parent / "secrets/bus/kiosk-doc.key"
    key.unlink()
    got = by_check(run(box.config, ("bus-security",)))
    assert got["bus-credentials"][0].status == "fail"
    assert "kiosk-doc" in got["bus-credentials"][0].summary


def test_a_certificate_ending_within_30_days_is_reported(site: Site, tmp_path: Path) -> None:
    files = site.files
    saved = files.server_cert.read_bytes()
    cert, _key = busfiles.make_server_cert(
        files.ca_cert.read_bytes(), files.ca_key.read_bytes(), ["localhost"], days=10
    )
    files.server_cert.write_bytes(cert)
    try:
        got = by_check(
            run(site.config, ("bus-security",), mosquitto_conf=site.folder / "mosquitto.conf")
        )
    finally:
        files.server_cert.write_bytes(saved)
    ending = [r for r in got["bus-certificate"] if r.status == "warn"]
    assert ending and "broker's certificate ends in" in ending[0].summary
    assert ending[0].details["days_left"] < 11
    until = dt.datetime.fromisoformat(ending[0].details["not_after"])
    assert until < dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
