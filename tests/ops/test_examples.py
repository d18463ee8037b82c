"""The annotated example configs: `hall config check` accepts each, and they are the halls
they claim to be."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance import config as hall_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config/examples"
FILES = [EXAMPLES / "small-station.toml", *sorted((EXAMPLES / "city-hall").glob("*.toml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_config_check_accepts(path: Path) -> None:
    from appliance.cli.main import cli

    res = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert res.exit_code == 0, res.output
    assert ": ok" in res.output


def test_small_station_has_every_role() -> None:
    cfg = hall_config.load(EXAMPLES / "small-station.toml")
    assert cfg.bus.host == "127.0.0.1"
    assert cfg.kiosk.printer.kind == "usb" and cfg.kiosk.inputs
    assert cfg.pads.buses and cfg.display.speech.player == "aplay"
    assert cfg.sync.broker_url.startswith("mqtts://")


def test_city_hall_boxes() -> None:
    folder = EXAMPLES / "city-hall"
    hub = hall_config.load(folder / "hub.toml")
    assert len(hub.pads.buses) == 2 and len(hub.counters) == 10
    kiosks = [hall_config.load(p) for p in sorted(folder.glob("kiosk-*.toml"))]
    displays = [hall_config.load(p) for p in sorted(folder.glob("display-*.toml"))]
    assert [k.kiosk.id for k in kiosks] == ["kiosk-1", "kiosk-2", "kiosk-3"]
    assert [d.display.id for d in displays] == [f"display-{n}" for n in range(1, 5)]
    for box in kiosks + displays:
        assert box.hall.id == hub.hall.id
        assert box.bus.host != "127.0.0.1"  # they reach the hub's Mosquitto over the LAN
        assert box.bus.tls and box.bus.port == 8883  # over TLS only
