"""A whole hall's hub in one process: store + broker (in-process or a private Mosquitto) + hub.

For `hall demo`, the tests of every role and the benchmarks:

    with LocalHall(tmp_path, transport="mqtt") as hall:
        bus, client = hall.connect("kiosk-1", "kiosk")
        client.execute("issue", {"service": "SB-001"})

Over MQTT the broker is the hall's Mosquitto as a hub box runs it (`secure=True`, the
default: `appliance.ops.hallbroker.HallMosquitto`): no anonymous client, every role logs in
with its own password, client ids pinned, the ACL made from the devices. The config's own
roles (and `tool-local`) get their passwords up front, in the config's credentials folder,
so a role started as a process with this config (or a copy beside it) logs in; a role
connected through `bus()` is enrolled then. `secure=False`: an open broker, for tests of
something else that connect by hand.

Its clock is the store's clock: pass a `FixedClock` to run a simulated day, or leave it to
use the system clock. The catalog and counters are the sample county hall's unless given.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hall.bus.base import BusBase
from hall.bus.inproc import InProcBroker, InProcBus
from hall.core.timekeeping import Clock
from hall.devices import Device, DeviceRegistry
from hall.hubapi.client import HallClient, presence
from hall.store.store import HallStore
from hub.service import Hub

Transport = Literal["inproc", "mqtt"]


def sample_config_dir(folder: Path) -> Path:
    """Copy the sample county hall's config and catalog into `folder`; return the config."""
    from importlib import resources

    data = resources.files("appliance.sim") / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("county-hall.toml", "catalog.json", "directory.json"):
        (folder / name).write_bytes((data / name).read_bytes())
    return folder / "county-hall.toml"


def _credentials_here(config_path: Path) -> None:
    """Name the credentials folder by its absolute path in LocalHall's own config, so a copy of
    the config written elsewhere (a test's kiosk.toml) still finds the roles' passwords."""
    text = config_path.read_text(encoding="utf-8")
    folder = (config_path.parent / "secrets" / "bus").resolve()
    text = text.replace("[bus]\n", f'[bus]\ncredentials = "{folder}"\n', 1)
    config_path.write_text(text, encoding="utf-8")


class LocalHall:
    def __init__(
        self,
        folder: Path,
        *,
        transport: Transport = "inproc",
        clock: Clock | None = None,
        config_path: Path | None = None,
        tick_seconds: float | None = None,
        city: Ed25519PrivateKey | None = None,
        queue: dict[str, Any] | None = None,
        secure: bool = True,
    ) -> None:
        from appliance import config
        from hall.system import SystemClock

        self.folder = Path(folder)
        self.secure = secure and transport == "mqtt"
        if config_path is None:
            config_path = sample_config_dir(self.folder / "config")
            if self.secure:  # copies of the config elsewhere find the passwords too
                _credentials_here(config_path)
        self.config_path = config_path
        self.cfg = config.load(self.config_path)
        if queue:  # [queue] settings for this run (a test of something else than those rules)
            section = self.cfg.queue.model_validate({**self.cfg.queue.model_dump(), **queue})
            self.cfg = self.cfg.model_copy(update={"queue": section})
        _catalog, raw = self.cfg.load_catalog()
        self.clock = clock or SystemClock()
        self.transport = transport
        self.store = HallStore(
            self.cfg.database_path,
            hall_id=self.cfg.hall.id,
            tz=self.cfg.tz,
            rules=self.cfg.rules(),
            clock=self.clock,
        )
        self.store.setup(raw, self.cfg.counters_wire())
        self.broker: Any = None
        self._inproc: InProcBroker | None = None
        if transport == "mqtt" and self.secure:
            self.broker = self._secure_broker()
        elif transport == "mqtt":
            from hall.bus.broker import MosquittoBroker

            self.broker = MosquittoBroker(self.folder / "mosquitto")
            self.broker.start()
        else:
            self._inproc = InProcBroker()
            self.broker = self._inproc
        self._buses: list[BusBase] = []
        # The simulated city's token key: the hub checks QR tokens signed with it.
        self.city = city or Ed25519PrivateKey.generate()
        # Every role connected through `bus()` is a device the hub knows; pads serve all.
        self.devices = DeviceRegistry([Device("tool-local", "tool")])
        self.hub_bus = self.bus("hub", "hub")
        self.hub = Hub(
            self.hub_bus,
            self.store,
            hall_name=self.cfg.hall.name,
            notice=self.cfg.hub.notice,
            masked_names=self.cfg.hub.masked_names,
            devices=self.devices,
            city_key=self.city.public_key(),
        )
        self.hub.start()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if tick_seconds:
            self._ticker = threading.Thread(
                target=self._tick, args=(tick_seconds,), name="hub-tick", daemon=True
            )
            self._ticker.start()

    def _secure_broker(self) -> Any:
        from appliance.devices import local_devices
        from appliance.ops.hallbroker import HallMosquitto

        broker = HallMosquitto(self.folder / "mosquitto", hall_id=self.cfg.hall.id)
        every = frozenset(c.id for c in self.cfg.counters)  # a pad line serves every counter
        own = [
            Device(d.id, d.role, every) if d.role == "pads" else d for d in local_devices(self.cfg)
        ]
        broker.enroll_all([Device("hub", "hub"), *own])
        broker.start()
        broker.write_keys(self.cfg.base / self.cfg.bus.credentials)
        return broker

    def flush_tables(self) -> bool:
        """Bring the database's tables up to the log now (the hub's tick does it every
        second): for a reader that wants the last command's rows at once."""
        return self.hub.flush_tables()

    @property
    def port(self) -> int | None:
        """The private Mosquitto's port (None in process)."""
        return int(self.broker.port) if self.transport == "mqtt" else None

    def bus(self, client_id: str, role: str, *, wait: float = 5.0) -> BusBase:
        """A connected bus for a role, with its presence (birth and will); the role is
        registered as a device of the hall (a pad line serves every counter)."""
        counters = frozenset(c.id for c in self.cfg.counters) if role == "pads" else frozenset()
        self.devices.add(Device(client_id, role, counters))
        birth, will = presence(client_id, role)
        bus: BusBase
        if self._inproc is not None:
            bus = InProcBus(self._inproc, client_id, birth=birth, will=will)
        else:
            from hall.bus.mqtt import MqttBus

            password = None
            if self.secure:
                known = self.broker.devices.get(client_id)
                if (
                    known is None
                    or known.revoked
                    or (known.role, known.counters)
                    != (
                        role,
                        counters,
                    )
                ):
                    self.broker.enroll(Device(client_id, role, counters))
                password = self.broker.passwords[client_id]
            bus = MqttBus(
                client_id,
                port=self.broker.port,
                birth=birth,
                will=will,
                username=client_id if password else None,
                password=password,
            )
            if not bus.wait_connected(wait):
                bus.close()
                raise RuntimeError(f"{client_id}: could not connect to the private Mosquitto")
        self._buses.append(bus)
        return bus

    def add_device(self, device_id: str, role: str) -> None:
        """A device a role process will log in as (another id than the config's): the hub
        knows it and, over MQTT, the broker lets it in with a password in the config's
        credentials folder (where `hall_bus` looks)."""
        counters = frozenset(c.id for c in self.cfg.counters) if role == "pads" else frozenset()
        self.devices.add(Device(device_id, role, counters))
        if self.secure:
            self.broker.enroll(Device(device_id, role, counters))
            self.broker.write_keys(self.cfg.base / self.cfg.bus.credentials, [device_id])

    def connect(self, client_id: str, role: str, **client_opts: Any) -> tuple[BusBase, HallClient]:
        bus = self.bus(client_id, role)
        return bus, HallClient(bus, **client_opts)

    def settle(self, timeout: float = 2.0) -> None:
        """Wait until the hub's retained state has caught up with its store."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.hub._dirty.is_set() and self.hub.snapshot_matches():
                return
            time.sleep(0.01)

    def events(self) -> list[dict[str, Any]]:
        return [e.to_wire() for e in self.store.iter_events()]

    def write_events(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as f:
            for e in self.store.iter_events():
                f.write(json.dumps(e.to_wire(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.hub.stop()
        for bus in reversed(self._buses):
            bus.close()
        if self.transport == "mqtt":
            self.broker.stop()
        self.store.close()

    def __enter__(self) -> LocalHall:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            self.hub.tick()
