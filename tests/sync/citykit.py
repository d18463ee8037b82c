"""Test kit for the city link: a TLS city broker, the city peer, a hall and its sync."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from appliance import config as hall_config
from appliance.local import LocalHall, sample_config_dir
from hall import tomlwrite
from hall.core.timekeeping import FixedClock, at_local
from hall.mqttvalues import TlsFiles
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import PLATFORM_CN, Pki
from sync.service import SyncService

TZ = ZoneInfo("Asia/Shanghai")
HALL_ID = "410411-ZH01"
DAY = date(2026, 11, 27)
DIRECTORY = json.loads(
    (Path(__file__).resolve().parents[2] / "appliance/sim/data/directory.json").read_text("utf-8")
)


def hall_clock(hhmm: str = "09:30") -> FixedClock:
    return FixedClock(at_local(DAY, hhmm, TZ))


def make_hall(folder: Path, clock: FixedClock | None = None, **kw: Any) -> LocalHall:
    """The sample county hall without daily quotas (the fault tests issue thousands)."""
    config_path = sample_config_dir(folder / "config")
    cat_path = config_path.parent / "catalog.json"
    cat = json.loads(cat_path.read_text("utf-8"))
    for s in cat["services"]:
        s["daily_quota"] = 0
    cat_path.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    return LocalHall(
        folder, transport="mqtt", clock=clock or hall_clock(), config_path=config_path, **kw
    )


def fill(hall: LocalHall, n: int, services: tuple[str, ...] = ("SB-001", "YB-001")) -> int:
    """Issue n tickets straight through the hub's store (fast); returns the last seq."""
    from hall.core import commands as c

    with hall.hub._lock:
        for i in range(n):
            hall.store.execute(c.IssueTicket(services[i % len(services)]))
    hall.hub.refresh()
    return len(hall.events())


def peer_tls(pki: Pki) -> TlsFiles:
    ident = pki.client(PLATFORM_CN)
    return TlsFiles(str(pki.ca), str(ident.cert), str(ident.key))


def write_sync_config(
    hall: LocalHall, broker: CityBroker, pki: Pki | None, name: str = "sync.toml", **sync: Any
) -> Path:
    """A config for the sync process: the hall's own, its bus port, and a [sync] table."""
    raw = tomllib.loads(hall.config_path.read_text("utf-8"))
    raw["bus"] = {**raw.get("bus", {}), "port": hall.port or 1883}
    scheme = "mqtts" if pki is not None else "mqtt"
    host = "localhost" if pki is not None else "127.0.0.1"
    section: dict[str, Any] = {
        "broker_url": f"{scheme}://{host}:{broker.port}",
        "keepalive_s": 4,
        "reconnect_min_s": 0.1,
        "reconnect_max_s": 1.0,
        "ack_timeout_s": 3.0,
        "backlog_rate": 0,
        "appointments_sync_timeout_s": 2.0,
        "connect_timeout_s": 3.0,
    }
    if pki is not None:
        ident = pki.client(hall.cfg.hall.id)
        section.update(ca_file=str(pki.ca), cert_file=str(ident.cert), key_file=str(ident.key))
    section.update(sync)
    raw["sync"] = section
    path = hall.config_path.parent / name
    path.write_text(tomlwrite.dumps(raw), encoding="utf-8")
    return path


def start_sync(hall: LocalHall, config_path: Path, bus_id: str | None = None) -> SyncService:
    """Sync on the hall bus as `bus_id` (a fresh one when not given: a restart in the same
    test may not meet its predecessor's session), a device of the hall."""
    cfg = hall_config.load(config_path)
    return SyncService(
        cfg,
        validate_config=hall_config.parse,
        bus=hall.bus(bus_id or f"sync-{time.monotonic_ns() % 10**6}", "sync"),
    ).start()


def start_peer(tmp: Path, broker: CityBroker, pki: Pki | None, **kw: Any) -> CityPeer:
    peer = CityPeer(
        tmp / "city.db",
        port=broker.port,
        host="localhost" if pki else "127.0.0.1",
        tls=peer_tls(pki) if pki else None,
        **kw,
    ).start()
    assert peer.wait_connected(10), "the city peer could not connect"
    return peer


def wait_until(cond: Callable[[], Any], timeout: float = 10.0, step: float = 0.05) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {cond}")
        time.sleep(step)


def hall_events(hall: LocalHall) -> list[dict[str, Any]]:
    return hall.events()


def assert_city_has_log(peer: CityPeer, hall: LocalHall) -> None:
    """Zero lost, zero twice: the city's events are exactly the hall's log, h included, and
    the city found no break in the chain."""
    mine = hall.events()
    theirs = peer.store.events(hall.cfg.hall.id)
    assert [e["seq"] for e in theirs] == [e["seq"] for e in mine]
    for a, b in zip(mine, theirs, strict=True):
        assert (a["id"], a["type"], a["at"], a["data"], a["h"]) == (
            b["id"],
            b["type"],
            b["at"],
            b["data"],
            b["h"],
        )
    assert peer.store.hall(hall.cfg.hall.id)["chain_breaks"] == 0
