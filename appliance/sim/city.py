"""A city for `hall demo`: a city Mosquitto, the city peer and the hall's sync, around a
running `LocalHall` (in-process or MQTT hall bus alike).

    with LocalHall(...) as hall, run_with_city_peer(hall, out / "city", day=the_day) as city:
        ...simulate the day...
        city.wait_synced(30)
        summary["city"] = city.summary()
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from appliance import config as hall_config
from appliance.local import LocalHall
from hall import tomlwrite
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import PLATFORM_CN, make_pki
from sync.link import TlsFiles
from sync.service import SyncService

SLOTS = ("09:00", "09:30", "10:00", "10:30", "11:00", "14:00", "14:30", "15:00", "15:30")


class CityDemo:
    def __init__(self, hall: LocalHall, broker: CityBroker, peer: CityPeer, sync: SyncService):
        self.hall = hall
        self.broker = broker
        self.peer = peer
        self.sync = sync
        self.booked: list[dict[str, Any]] = []

    @property
    def hall_id(self) -> str:
        return self.hall.cfg.hall.id

    def book(self, n: int, day: date, services: list[str]) -> list[dict[str, Any]]:
        for i in range(n):
            slot = SLOTS[i % len(SLOTS)]
            end = f"{slot[:3]}{int(slot[3:]) + 29:02d}"
            self.booked.append(
                self.peer.core.book(
                    self.hall_id,
                    services[i % len(services)],
                    day.isoformat(),
                    slot,
                    end,
                    channel="mini_program",
                )
            )
        return self.booked

    def wait_synced(self, timeout: float = 30.0) -> bool:
        """True once the city acked the hall's whole log."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            top = len(self.hall.events())
            if self.peer.store.hall(self.hall_id)["acked_through"] >= top:
                return True
            time.sleep(0.1)
        return False

    def summary(self) -> dict[str, Any]:
        h = self.peer.store.hall(self.hall_id)
        appts = self.peer.store.appointments(self.hall_id)
        return {
            "events_acked": h["acked_through"],
            "events_rejected": len(self.peer.store.rejected(self.hall_id)),
            "appointments_booked": len(appts),
            "appointments_checked_in": sum(1 for a in appts if a["settled"] == "checked_in"),
            "appointments_no_show": sum(1 for a in appts if a["settled"] == "no_show"),
            "hall_online": bool(h.get("status") and h["status"].get("online")),
        }

    def stop(self) -> None:
        self.sync.stop()
        self.peer.stop()
        self.broker.close()

    def __enter__(self) -> CityDemo:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_with_city_peer(
    hall: LocalHall,
    folder: Path,
    *,
    tls: bool = True,
    appointments: int = 20,
    day: date | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CityDemo:
    """Start a city around `hall`: broker (TLS with a test CA and ACLs unless `tls=False`),
    the city peer (directory, cloud online, the hall's catalog), the hall's sync; book
    `appointments` for `day` (today if None). `clock`: what sync's ticket-progress rate limit
    counts in (the demo's simulated time). Stop it with `.stop()` or a `with` block."""
    folder.mkdir(parents=True, exist_ok=True)
    hid = hall.cfg.hall.id
    pki = make_pki(folder / "pki", clients=(PLATFORM_CN, hid)) if tls else None
    broker = CityBroker(folder / "broker", pki=pki)
    broker.start()
    directory = json.loads(
        (resources.files("appliance.sim") / "data" / "directory.json").read_text("utf-8")
    )
    peer_tls = None
    if pki is not None:
        ident = pki.client(PLATFORM_CN)
        peer_tls = TlsFiles(str(pki.ca), str(ident.cert), str(ident.key))
    peer = CityPeer(
        folder / "city.db",
        host="localhost" if tls else "127.0.0.1",
        port=broker.port,
        tls=peer_tls,
        directory=directory,
    ).start()
    peer.wait_connected(10)
    catalog = json.loads(hall.cfg.catalog_path.read_text("utf-8"))
    peer.core.publish_catalog(hid, {"version": catalog["version"], "services": catalog["services"]})
    raw = tomllib.loads(hall.config_path.read_text("utf-8"))
    raw["bus"] = {**raw.get("bus", {}), "port": hall.port or 1883}
    section: dict[str, Any] = {
        "broker_url": f"{'mqtts://localhost' if tls else 'mqtt://127.0.0.1'}:{broker.port}",
        "state_file": str(folder / "sync.db"),
    }
    if pki is not None:
        ident = pki.client(hid)
        section.update(ca_file=str(pki.ca), cert_file=str(ident.cert), key_file=str(ident.key))
    raw["sync"] = section
    cfg_path = hall.config_path.parent / "city-demo.toml"
    cfg_path.write_text(tomlwrite.dumps(raw), encoding="utf-8")
    sync = SyncService(
        hall_config.load(cfg_path),
        validate_config=hall_config.parse,
        bus=hall.bus("sync", "sync"),
        clock=clock,
    ).start()
    demo = CityDemo(hall, broker, peer, sync)
    services = [s["code"] for s in catalog["services"] if s.get("appointable")]
    if appointments and services:
        demo.book(appointments, day or date.today(), services)
    return demo
