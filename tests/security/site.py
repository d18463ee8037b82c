"""A hall as a technician sets it up, for the attacks of issue 14 to fail against.

The hub box: the sample county hall's config, the product's Mosquitto settings (conf.d/hall.conf
as deploy/install.sh installs it, `busfiles.hall_conf_text`), `hall device setup --lan` (the
hall's CA, the broker's certificate, a password per role, the password and ACL files, the TLS
LAN listener), a real Mosquitto started on them as Debian starts it (`include_dir`), and the
hub on its own password. Other boxes are enrolled as a technician does: `hall device add` on
the hub box, `hall device join` of the bundle on the other box's config, TLS to the LAN
listener. The hub runs on an injected clock (09:30 on a Friday) so the business day is open
whatever the time of the test run.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance import config as hall_config
from appliance.cli.main import cli
from appliance.devices import hub_trust
from appliance.local import sample_config_dir
from appliance.ops import busfiles, bussetup
from hall import tokens
from hall.bus.broker import find_mosquitto, free_port
from hall.bus.login import BusLogin, login_for
from hall.bus.mqtt import MqttBus, connect
from hall.core.timekeeping import FixedClock
from hall.hubapi.client import HallClient, presence
from hall.store.store import HallStore
from hub.service import Hub
from tests.conftest import at


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check()` is truthy (its value), or fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < end, f"not within {timeout} s"
        time.sleep(0.02)


@dataclass
class Box:
    """Another box of the hall (kiosk, display, pad line, technician), enrolled and joined."""

    device: str
    role: str
    config: Path

    @property
    def cfg(self) -> Any:
        return hall_config.load(self.config)


@dataclass
class Site:
    folder: Path
    config: Path
    conf_d: Path
    port: int
    lan_port: int
    city: Ed25519PrivateKey
    hub: Hub | None = None
    store: HallStore | None = None
    proc: subprocess.Popen[bytes] | None = None
    buses: list[MqttBus] = field(default_factory=list)
    boxes: dict[str, Box] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    # --- the hub box ----------------------------------------------------------------------

    @property
    def cfg(self) -> Any:
        return hall_config.load(self.config)

    @property
    def files(self) -> busfiles.BusFiles:
        return busfiles.BusFiles(self.config.parent, self.conf_d)

    @property
    def pidfile(self) -> Path:
        return self.folder / "mosquitto.pid"

    @property
    def log(self) -> Path:
        return self.folder / "mosquitto.log"

    def hall(self, *args: str) -> Result:
        """`hall ARGS --config <the hub box's config>` as root on the hub box."""
        argv = [*args, "--config", str(self.config)]
        if args and args[0] == "device" and args[1] in ("setup", "add", "rotate", "revoke"):
            argv += ["--mosquitto-dir", str(self.conf_d)]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def start_broker(self) -> None:
        me = pwd.getpwuid(os.getuid()).pw_name
        main = self.folder / "mosquitto.conf"
        main.write_text(
            f"user {me}\npid_file {self.pidfile}\nlog_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            f"connection_messages true\npersistence false\ninclude_dir {self.conf_d}\n",
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            [find_mosquitto(), "-c", str(main)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in (self.port, self.lan_port):
            eventually(lambda p=port: _listening(p), 10)

    def stop(self) -> None:
        self.stopping.set()
        for bus in reversed(self.buses):
            bus.close()
        if self.hub is not None:
            self._ticker.join(5)
            self.hub.stop()
            self.hub.bus.close()
        if self.store is not None:
            self.store.close()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def start_hub(self) -> None:
        from hall.bus.mqtt import hall_bus

        cfg = self.cfg
        trust = hub_trust(cfg)
        self.store = HallStore(
            cfg.database_path,
            hall_id=cfg.hall.id,
            tz=cfg.tz,
            rules=cfg.rules(),
            clock=FixedClock(at("09:30")),
        )
        _catalog, raw = cfg.load_catalog()
        self.store.setup(raw, cfg.counters_wire())
        birth, will = presence("hub", "hub")
        bus = hall_bus(cfg, "hub", birth=birth, will=will)
        self.hub = Hub(bus, self.store, devices=trust.devices, city_key=trust.city_key)
        self.hub.start()
        assert bus.wait_connected(10)
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self.stopping.wait(0.1):
            assert self.hub is not None
            self.hub.tick()  # reads the device registry again when a technician changed it

    # --- devices --------------------------------------------------------------------------

    def login(self, device: str, *, lan: bool = False) -> BusLogin:
        """How `device` logs in: one of the hub box's own (loopback), or an enrolled box's."""
        box = self.boxes.get(device)
        if box is not None:
            return login_for(box.cfg, device)
        got = login_for(self.cfg, device)
        if lan:
            tls = busfiles.BusFiles(self.config.parent).ca_cert
            from hall.mqttvalues import TlsFiles

            return BusLogin(
                "127.0.0.1",
                self.lan_port,
                got.username,
                got.password,
                TlsFiles(str(tls), check_hostname=False),
            )
        return got

    def bus(self, device: str, *, role: str | None = None, wait: bool = True, **kw: Any) -> MqttBus:
        birth, will = presence(device, role) if role else (None, None)
        bus = connect(self.login(device), device, birth=birth, will=will, **kw)
        self.buses.append(bus)
        if wait:
            assert bus.wait_connected(10), f"{device} could not connect"
        return bus

    def client(self, device: str, **kw: Any) -> HallClient:
        return HallClient(self.bus(device), timeout=5.0, **kw)

    def enroll(self, device: str, role: str, *extra: str, config: Path | None = None) -> Box:
        """`hall device add` on the hub box, `hall device join` on the box's config (a new
        one unless given)."""
        bundle = self.folder / f"{device}.hb1"
        done = self.hall(
            "device", "add", device, "--role", role, "--host", "127.0.0.1",
            "--port", str(self.lan_port), "--out", str(bundle), *extra,
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        if config is None:
            box_dir = self.folder / "boxes" / device
            box_dir.mkdir(parents=True)
            config = box_dir / "hall.toml"
            # a technician's identity lives on one of the hall's boxes (here: a display box)
            roles = 'roles = ["display"]\n' if role == "tool" else f'roles = ["{role}"]\n'
            config.write_text(
                f'[hall]\nid = "{self.cfg.hall.id}"\nname = "测试大厅"\n{roles}\n'
                '[bus]\nhost = "192.0.2.1"\nport = 1883\n',
                encoding="utf-8",
            )
        joined = CliRunner().invoke(
            cli, ["device", "join", str(bundle), "--config", str(config)], catch_exceptions=False
        )
        assert joined.exit_code == 0, joined.output
        box = Box(device, role, config)
        self.boxes[device] = box
        hub = self.hub
        if hub is not None:  # the hub reads the registry file again within its tick
            eventually(lambda: hub.devices.get(device))
        return box

    def token(self, claims: dict[str, Any], key: Ed25519PrivateKey | None = None) -> str:
        return tokens.sign_token(claims, key or self.city)

    def reload_done(self, count_before: int) -> None:
        """Wait until Mosquitto logged another reload than the `count_before` seen."""
        eventually(lambda: self.reloads() > count_before)

    def reloads(self) -> int:
        try:
            return self.log.read_text(encoding="utf-8").count("Reloading config.")
        except FileNotFoundError:
            return 0


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def make_site(folder: Path, monkeypatch: Any, config: Path | None = None) -> Site:
    """The hub box, set up and started as a technician would: the sample county hall (with a
    city key for appointment tokens), or the hub box config given."""
    city = Ed25519PrivateKey.generate()
    if config is None:
        etc = folder / "etc"
        sample = sample_config_dir(etc)
        config = etc / "hall.toml"
        shutil.move(sample, config)
        text = config.read_text(encoding="utf-8")
        text = text.replace("port = 1883", f"port = {free_port()}")
        key = tokens.public_key_text(city.public_key())
        text += f'\n[kiosk]\ncity_public_key = "{key}"\n'
        config.write_text(text, encoding="utf-8")
    cfg = hall_config.load(config)
    site = Site(folder, config, folder / "conf.d", cfg.bus.port, free_port(), city)
    site.conf_d.mkdir(parents=True)
    # deploy/install.sh: the hall's Mosquitto settings (the product's own text, this port)
    (site.conf_d / "hall.conf").write_text(
        busfiles.hall_conf_text(site.files, site.port), encoding="utf-8"
    )
    monkeypatch.setattr(bussetup, "PIDFILE", site.pidfile)
    done = site.hall("device", "setup", "--lan", "--lan-port", str(site.lan_port))
    assert done.exit_code == 0, done.output
    site.start_broker()
    site.start_hub()
    return site
