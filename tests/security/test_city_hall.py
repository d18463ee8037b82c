"""The multi-box example (config/examples/city-hall/) with authentication on: the hub box set
up as a technician would, kiosks and displays enrolled and joined, each on its own password
over TLS; a box that was never enrolled cannot get in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from appliance import config as hall_config
from hall.bus.login import login_for
from hall.bus.mqtt import hall_bus
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient, StateCache, presence
from hall.mqtt import try_connect
from tests.security.raw import options
from tests.security.site import Site, eventually, make_site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config/examples"


def copy_box(name: str, folder: Path) -> Path:
    """An example box's config in its own folder (as /etc/hall on that box)."""
    box = folder / name
    box.mkdir()
    config = box / "hall.toml"
    text = (EXAMPLES / "city-hall" / f"{name}.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^state_dir = ".*"$', f'state_dir = "{box / "state"}"', text)
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def city_hall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    from hall.bus.broker import free_port

    shutil.copy(EXAMPLES / "catalog.json", tmp_path / "catalog.json")
    config = copy_box("hub", tmp_path)
    text = config.read_text(encoding="utf-8").replace("port = 1883", f"port = {free_port()}")
    text = text.replace("/var/lib/hall/", f"{tmp_path}/state-")
    config.write_text(text, encoding="utf-8")
    site = make_site(tmp_path / "site", monkeypatch, config)
    yield site  # type: ignore[misc]
    site.stop()


def test_the_city_hall_runs_with_authentication_on(city_hall: Site, tmp_path: Path) -> None:
    site = city_hall
    boxes = {}
    for name, role in (("kiosk-1", "kiosk"), ("kiosk-2", "kiosk"), ("display-1", "display")):
        config = copy_box(name, tmp_path)
        site.enroll(name, role, config=config)
        cfg = hall_config.load(config)
        assert cfg.bus.tls and cfg.bus.port == site.lan_port and cfg.bus.host == "127.0.0.1"
        boxes[name] = cfg
    display_cfg = boxes["display-1"]
    birth, will = presence("display-1", "display")
    display = hall_bus(display_cfg, "display-1", birth=birth, will=will)
    site.buses.append(display)
    assert display.wait_connected(10)
    seen = StateCache(display, topics=[p.BOARD])
    kiosk = hall_bus(boxes["kiosk-1"], "kiosk-1")
    site.buses.append(kiosk)
    assert kiosk.wait_connected(10)
    ticket = HallClient(kiosk, timeout=5).execute("issue", {"service": "SB-001"})
    assert ticket["number"] == "A001"

    seq = city_hall.store.state.last_seq if city_hall.store else 0

    def on_board() -> bool:  # the display sees the hub's board with the new ticket
        board = seen.get(p.BOARD)
        return bool(board) and board["seq"] >= seq

    eventually(on_board)
    # the pads of the hub box log in on loopback with their own password, too
    hub_cfg = site.cfg
    pads = hall_bus(hub_cfg, hub_cfg.pads.id)
    site.buses.append(pads)
    assert pads.wait_connected(10)


def test_a_box_never_enrolled_cannot_get_in(city_hall: Site, tmp_path: Path) -> None:
    config = copy_box("kiosk-3", tmp_path)
    text = config.read_text(encoding="utf-8")
    text = text.replace('host = "192.168.10.2"', 'host = "127.0.0.1"')
    text = text.replace("port = 8883", f"port = {city_hall.lan_port}")
    config.write_text(text, encoding="utf-8")
    cfg = hall_config.load(config)
    ca = city_hall.files.ca_cert
    (config.parent / "trust").mkdir()
    shutil.copy(ca, config.parent / "trust/hall-bus-ca.pem")  # even with the hall's CA
    login = login_for(cfg, "kiosk-3")  # no password file: none to give
    assert login.username is None and login.tls is not None
    got = try_connect(options(login, "kiosk-3"), 5)
    assert got.problem == "refused", got
