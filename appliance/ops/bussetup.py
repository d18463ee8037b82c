"""The hall bus's trust on the hub box: credentials, the broker's password and ACL files,
its certificate, and the device registry, kept together by the technician's `hall device`.

The broker's files are a pure function of three things: the config (the roles of the hub
box, each with a password file of its own), the registry (the boxes a technician enrolled:
their role, counters and password hash; revoked ones) and the hall's CA. `setup` writes
them again from those and reloads Mosquitto, which re-reads both files on SIGHUP and drops a
connected client whose password is gone (Mosquitto 2.0.11, tests/security).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from appliance import devices as trust
from appliance.config import HallConfig
from appliance.ops import accounts, busfiles
from appliance.ops.busfiles import BusFiles
from hall import files as hallfiles
from hall.bus import passwd
from hall.bus.login import key_path, read_password
from hall.devices import Device, RegistryError, check_owner, dumps, parse
from hall.hubapi import acl

log = logging.getLogger(__name__)

Reloader = Callable[[], str]
PIDFILE = Path("/run/mosquitto/mosquitto.pid")


class SetupError(Exception):
    """Something a technician must fix first; the message says what."""


@dataclass
class SetupReport:
    devices: list[str] = field(default_factory=list)
    new_keys: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    lan: bool = False
    server_cert_until: str = ""
    reloaded: str = ""
    warnings: list[str] = field(default_factory=list)


def reload_mosquitto() -> str:
    """Make the running Mosquitto read its password and ACL files again (SIGHUP to the pid
    in its pid file, which Debian's settings name; else `systemctl reload`)."""
    try:
        pid = int(PIDFILE.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        pass
    else:
        return f"Mosquitto reloaded (SIGHUP to {pid})"
    if os.path.isdir("/run/systemd/system"):
        done = subprocess.run(
            ["systemctl", "try-reload-or-restart", "mosquitto.service"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return "Mosquitto reloaded (systemctl reload mosquitto)"
        return f"Mosquitto not reloaded: {done.stderr.strip()[:200]}"
    return "Mosquitto is not running: it reads the new files when it starts"


# --- the devices ------------------------------------------------------------------------------


def registry_path(cfg: HallConfig) -> Path:
    return cfg.base / cfg.hub.devices


def local_devices(cfg: HallConfig) -> list[Device]:
    """The hub and this box's own roles (and the technician's `tool-local`)."""
    return [Device(acl.HUB_ID, "hub"), *trust.local_devices(cfg)]


def enrolled(cfg: HallConfig) -> list[Device]:
    path = registry_path(cfg)
    if not path.exists():
        return []
    try:
        check_owner(path)
        return parse(path)
    except RegistryError as exc:
        raise SetupError(str(exc)) from None


def write_registry(cfg: HallConfig, devices: list[Device]) -> Path:
    path = registry_path(cfg)
    hallfiles.write_atomic(
        path, dumps(devices).encode("utf-8"), mode=0o644, owner=accounts.root_owner()
    )
    return path


def ensure_key(cfg: HallConfig, device: Device, *, renew: bool = False) -> tuple[str, bool]:
    """(password, made now) of one of this box's own devices, made when missing."""
    path = key_path(cfg, device.id)
    current = None if renew else read_password(path)
    if current is not None:
        return current, False
    hallfiles_dir(path.parent, 0o750, accounts.config_owner())
    password = passwd.new_password()
    mode = 0o600  # its role's user alone (appliance/ops/accounts.py)
    hallfiles.write_atomic(
        path,
        (password + "\n").encode("ascii"),
        mode=mode,
        owner=accounts.secret_owner(device.role),
    )
    return password, True


def hallfiles_dir(path: Path, mode: int, owner: hallfiles.Owner | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    hallfiles.chown(path, owner)


def broker_devices(
    cfg: HallConfig, report: SetupReport | None = None
) -> tuple[list[Device], list[tuple[str, str]]]:
    """Every device the broker lets in (revoked ones left out) and the password file's
    entries (each device and its doctor's probe, with the same hash)."""
    registry = {d.id: d for d in enrolled(cfg)}
    out: list[Device] = []
    entries: list[tuple[str, str]] = []
    for d in local_devices(cfg):
        over = registry.pop(d.id, None)
        if over is not None and over.revoked:
            continue
        password, made = ensure_key(cfg, d)
        if made and report is not None:
            report.new_keys.append(d.id)
        out.append(d)
        entries.append((d.id, passwd.hash_password(d.id, password)))
    for d in registry.values():
        if d.revoked:
            continue
        if not d.password_hash:
            if report is not None:
                report.warnings.append(f"{d.id} has no password: `hall device rotate {d.id}`")
            continue
        out.append(d)
        entries.append((d.id, d.password_hash))
    entries += [(acl.probe_user(did), hashed) for did, hashed in list(entries)]
    return out, entries


# --- the broker's files -----------------------------------------------------------------------


def _write_if_changed(path: Path, data: bytes, mode: int, owner: hallfiles.Owner | None) -> bool:
    try:
        if path.read_bytes() == data:
            hallfiles.chown(path, owner)
            os.chmod(path, mode)
            return False
    except FileNotFoundError:
        pass
    hallfiles.write_atomic(path, data, mode=mode, owner=owner)
    return True


def ensure_tls(cfg: HallConfig, files: BusFiles, *, renew: bool, report: SetupReport) -> None:
    """The hall's CA (made once) and the broker's certificate (made when missing, ending
    within 30 days, or asked for)."""
    for folder, mode, who in (
        (files.ca_cert.parent, 0o755, accounts.root_owner()),
        (files.ca_key.parent, 0o750, accounts.config_owner()),
        (files.bus_dir, 0o750, accounts.broker_owner()),
    ):
        hallfiles_dir(folder, mode, who)
    if not files.ca_cert.exists() or not files.ca_key.exists():
        cert, key = busfiles.make_ca(cfg.hall.id)
        hallfiles.write_atomic(files.ca_key, key, mode=0o600, owner=accounts.root_owner())
        hallfiles.write_atomic(files.ca_cert, cert, mode=0o644, owner=accounts.root_owner())
        report.written += [str(files.ca_cert), str(files.ca_key)]
        renew = True
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    try:
        current = files.server_cert.read_bytes()
        ending = busfiles.not_after(current) < soon
    except (FileNotFoundError, ValueError):
        ending = True
    if renew or ending or not files.server_key.exists():
        cert, key = busfiles.make_server_cert(
            files.ca_cert.read_bytes(), files.ca_key.read_bytes(), busfiles.box_names()
        )
        who = accounts.broker_owner()
        hallfiles.write_atomic(files.server_key, key, mode=0o640, owner=who)
        hallfiles.write_atomic(files.server_cert, cert, mode=0o644, owner=who)
        report.written += [str(files.server_cert), str(files.server_key)]
    report.server_cert_until = busfiles.not_after(files.server_cert.read_bytes()).isoformat()


def write_broker_files(
    files: BusFiles, devices: list[Device], entries: list[tuple[str, str]]
) -> list[Path]:
    """The password and ACL files; the ones whose content changed."""
    who = accounts.broker_owner()
    hallfiles_dir(files.bus_dir, 0o750, who)
    changed = []
    text = passwd.passwd_text(entries).encode("ascii")
    if _write_if_changed(files.passwd, text, 0o640, who):
        changed.append(files.passwd)
    if _write_if_changed(files.acl, acl.acl_text(devices).encode("utf-8"), 0o640, who):
        changed.append(files.acl)
    return changed


def set_lan(files: BusFiles, lan: bool, port: int, report: SetupReport) -> bool:
    """Write or remove the LAN listener; whether it changed."""
    if lan:
        text = busfiles.lan_conf_text(files, port).encode("utf-8")
        hallfiles_dir(files.mosquitto, 0o755, accounts.root_owner())
        if _write_if_changed(files.lan_conf, text, 0o644, accounts.root_owner()):
            report.written.append(str(files.lan_conf))
            return True
        return False
    if files.lan_conf.exists():
        files.lan_conf.unlink()
        report.written.append(f"{files.lan_conf} (removed)")
        return True
    return False


def setup(
    cfg: HallConfig,
    files: BusFiles,
    *,
    lan: bool | None = None,
    lan_port: int = busfiles.LAN_PORT,
    renew: bool = False,
    reload: Reloader = reload_mosquitto,
    restart: Reloader | None = None,
) -> SetupReport:
    """Bring the hub box's hall-bus files up to date and reload Mosquitto. `lan`: add (True)
    or remove (False) the LAN listener; None keeps what there is. A changed listener needs
    a restart of Mosquitto (`restart`; None: the report says so)."""
    if not cfg.has_role("hub"):
        raise SetupError("this box does not run the hub ([hall] roles): nothing to set up here")
    report = SetupReport()
    wanted = files.lan_wanted.exists()
    if lan is None and wanted:
        lan = True  # `install.sh --lan` before the box was provisioned
    ensure_tls(cfg, files, renew=renew, report=report)
    devices, entries = broker_devices(cfg, report)
    report.devices = [d.id for d in devices]
    changed = write_broker_files(files, devices, entries)
    report.written += [str(p) for p in changed]
    listener_changed = False
    if lan is not None:
        listener_changed = set_lan(files, lan, lan_port, report)
    report.lan = files.lan_conf.exists()
    if wanted:
        files.lan_wanted.unlink()
    if listener_changed or (renew and report.lan):
        if restart is not None:
            report.reloaded = restart()
        else:
            report.warnings.append(
                "restart Mosquitto for the listener: systemctl restart mosquitto"
            )
    elif changed:
        report.reloaded = reload()
    return report


def restart_mosquitto() -> str:
    if not os.path.isdir("/run/systemd/system"):
        return "Mosquitto not restarted (no systemd here): restart it to use the new listener"
    done = subprocess.run(
        ["systemctl", "restart", "mosquitto.service"], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return "Mosquitto restarted (systemctl restart mosquitto)"
    return f"Mosquitto not restarted: {done.stderr.strip()[:200]}"


# --- enrolling, rotating, revoking -------------------------------------------------------------


def find(cfg: HallConfig, device_id: str) -> tuple[Device | None, bool]:
    """(the device, whether it is one of this box's own)."""
    registry = {d.id: d for d in enrolled(cfg)}
    local = {d.id: d for d in local_devices(cfg)}
    if device_id in registry:
        return registry[device_id], device_id in local
    return local.get(device_id), device_id in local


def enroll(cfg: HallConfig, device: Device) -> str:
    """Add (or give a new password to) an enrolled device; its new password."""
    registry = {d.id: d for d in enrolled(cfg)}
    password = passwd.new_password()
    registry[device.id] = replace(
        device, revoked=False, password_hash=passwd.hash_password(device.id, password)
    )
    write_registry(cfg, list(registry.values()))
    return password


def revoke(cfg: HallConfig, device: Device) -> None:
    """Mark a device revoked (an enrolled one or one of this box's own)."""
    registry = {d.id: d for d in enrolled(cfg)}
    registry[device.id] = replace(device, revoked=True, password_hash="")
    write_registry(cfg, list(registry.values()))


def rotate_local(cfg: HallConfig, device: Device) -> None:
    """A new password for one of this box's own devices (the role reads it at its next
    start: restart it)."""
    registry = {d.id: d for d in enrolled(cfg)}
    if device.id in registry:  # revoked before: let it in again
        del registry[device.id]
        write_registry(cfg, list(registry.values()))
    ensure_key(cfg, device, renew=True)
