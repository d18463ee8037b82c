"""The hall's Mosquitto as a hub box runs it, in a folder on free loopback ports: the product's
own settings (`busfiles.hall_conf_text`: no anonymous client, client ids pinned to usernames,
the packet cap; with `lan=True` the TLS listener of `busfiles.lan_conf_text` and a CA and
certificate made as `hall device setup` makes them), and the password and ACL files made from
the devices by the same code (`hall.bus.passwd`, `hall.hubapi.acl`). For tests/security,
`hall demo --bus mqtt`, `LocalHall` and the benchmarks.

    with HallMosquitto(tmp_path, lan=True) as broker:
        password = broker.enroll(Device("kiosk-1", "kiosk"))
        bus = connect(broker.login("kiosk-1", lan=True), "kiosk-1")
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import time
from pathlib import Path

from appliance.ops import busfiles
from appliance.ops.busfiles import BusFiles
from hall.bus import passwd
from hall.bus.broker import MosquittoBroker, free_port
from hall.bus.login import BusLogin
from hall.devices import Device
from hall.hubapi import acl
from hall.mqtt import try_connect
from hall.mqttvalues import ConnectOptions, TlsFiles

RELOAD_WAIT_S = 5.0


class HallMosquitto(MosquittoBroker):
    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        lan: bool = False,
        hall_id: str = "000000-TEST",
        persistence: bool = False,
        autosave_interval: int = 1,
    ) -> None:
        super().__init__(directory, persistence=persistence, autosave_interval=autosave_interval)
        self.files = BusFiles(self.directory / "etc", self.directory / "conf.d")
        self.lan_port = free_port() if lan else None
        self.hall_id = hall_id
        self.devices: dict[str, Device] = {}
        self.passwords: dict[str, str] = {}

    # --- configuration --------------------------------------------------------------------

    def config_text(self) -> str:
        me = pwd.getpwuid(os.getuid()).pw_name
        head = [f"user {me}", f"log_dest file {self.log_path}"]
        head += [f"log_type {t}" for t in ("error", "warning", "notice", "information")]
        head.append("connection_messages true")
        hall = busfiles.hall_conf_text(self.files, self.port)
        if self.persistence:
            head += ["persistence true", f"persistence_location {self.directory / 'data'}/"]
            hall = re.sub(r"(?m)^autosave_interval \d+$", "", hall)
            head.append(f"autosave_interval {self.autosave_interval}")
        else:
            head.append("persistence false")
        text = "\n".join(head) + "\n" + hall
        if self.lan_port is not None:
            text += busfiles.lan_conf_text(self.files, self.lan_port, "127.0.0.1")
        return text

    def prepare(self) -> None:
        self.files.bus_dir.mkdir(parents=True, exist_ok=True)
        if self.lan_port is not None and not self.files.server_cert.exists():
            self.files.ca_cert.parent.mkdir(parents=True, exist_ok=True)
            self.files.ca_key.parent.mkdir(parents=True, exist_ok=True)
            ca, ca_key = busfiles.make_ca(self.hall_id)
            self.files.ca_cert.write_bytes(ca)
            self.files.ca_key.write_bytes(ca_key)
            cert, key = busfiles.make_server_cert(ca, ca_key, ["localhost", "127.0.0.1"])
            self.files.server_cert.write_bytes(cert)
            self.files.server_key.write_bytes(key)
        self._write_access()

    def _write_access(self) -> None:
        self.files.bus_dir.mkdir(parents=True, exist_ok=True)
        live = [d for d in self.devices.values() if not d.revoked]
        entries = [(d.id, passwd.hash_password(d.id, self.passwords[d.id])) for d in live]
        entries += [(acl.probe_user(u), h) for u, h in list(entries)]
        self.files.passwd.write_text(passwd.passwd_text(entries), encoding="ascii")
        self.files.acl.write_text(acl.acl_text(live), encoding="utf-8")

    # --- devices --------------------------------------------------------------------------

    def enroll(self, device: Device, password: str | None = None) -> str:
        """Let `device` in (a new password unless given); reloaded when running."""
        self.devices[device.id] = device
        self.passwords[device.id] = (
            password or self.passwords.get(device.id) or (passwd.new_password())
        )
        self._apply(device.id, accepted=True)
        return self.passwords[device.id]

    def enroll_all(self, devices: list[Device]) -> None:
        """Several at once, one reload."""
        for d in devices:
            self.devices[d.id] = d
            self.passwords.setdefault(d.id, passwd.new_password())
        if devices:
            self._apply(devices[-1].id, accepted=True)

    def revoke(self, device_id: str) -> None:
        """As `hall device revoke`: out of the password and ACL files, the broker reloaded;
        returns once the broker refuses it."""
        self.devices[device_id] = Device(device_id, self.devices[device_id].role, revoked=True)
        self._apply(device_id, accepted=False)

    def rotate(self, device_id: str) -> str:
        self.passwords[device_id] = passwd.new_password()
        self._apply(device_id, accepted=True)
        return self.passwords[device_id]

    def _apply(self, device_id: str, *, accepted: bool) -> None:
        self._write_access()
        if not self.is_running:
            return
        assert self.pid is not None
        os.kill(self.pid, signal.SIGHUP)
        # Wait until the broker has read the files: its doctor's probe (same password, its
        # own client id: it takes over nobody's session) is let in, or refused.
        probe = self.login(device_id).as_user(acl.probe_user(device_id))
        deadline = time.monotonic() + RELOAD_WAIT_S
        while time.monotonic() < deadline:
            got = try_connect(self.options(probe, acl.probe_user(device_id)), 2.0)
            if got.ok == accepted:
                return
            time.sleep(0.02)
        raise TimeoutError(f"mosquitto did not reload its files for {device_id}")

    # --- logging in -----------------------------------------------------------------------

    def login(self, device_id: str, *, lan: bool = False) -> BusLogin:
        """How `device_id` logs in: plain TCP on loopback, or TLS on the LAN listener."""
        if lan:
            if self.lan_port is None:
                raise ValueError("this broker has no LAN listener (lan=True)")
            tls = TlsFiles(str(self.files.ca_cert), check_hostname=False)
            return BusLogin("127.0.0.1", self.lan_port, device_id, self.passwords[device_id], tls)
        return BusLogin("127.0.0.1", self.port, device_id, self.passwords.get(device_id), None)

    @staticmethod
    def options(login: BusLogin, client_id: str, **extra: object) -> ConnectOptions:
        return ConnectOptions(
            host=login.host,
            port=login.port,
            client_id=client_id,
            username=login.username,
            password=login.password,
            tls=login.tls,
            **extra,  # type: ignore[arg-type]
        )

    def write_keys(self, folder: Path, device_ids: list[str] | None = None) -> None:
        """The password files of these devices (all by default), as a box keeps them."""
        folder.mkdir(parents=True, exist_ok=True)
        for did in device_ids or list(self.passwords):
            path = folder / f"{did}.key"
            path.write_text(self.passwords[did] + "\n", encoding="ascii")
            path.chmod(0o600)
