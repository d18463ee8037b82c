"""The hall's devices: who may be on the hall bus, and as what.

Every process on the hall bus is a device with its own identity (its MQTT username and
client id, pinned by the broker): the hub, each kiosk, display and pad line, sync, each
technician's tool. The registry says each one's role, and for a pad line the counters it
serves; the hub authorises every request by it (hub/authz.py) and the broker's ACL is made
from it (the technician's `hall device …` commands keep both). A device that is not in the
registry, or is revoked, can do nothing.

The file (`devices.toml` beside the hub's config, `[hub] devices`):

    [[device]]
    id = "kiosk-1"
    role = "kiosk"

    [[device]]
    id = "pads-1"
    role = "pads"
    counters = ["1", "2", "3"]
    password_hash = "$7$101$…"   # what the broker checks (hall/bus/passwd.py); never the password

The file is root's (written by `hall device …` as root): the hub refuses one that anybody
else could have written, since whoever writes it decides who may do what.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hall import tomlwrite

DEVICE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
ROLES = ("hub", "kiosk", "display", "pads", "sync", "tool")
RESERVED_SUFFIX = ".doctor"  # `<device>.doctor`: the read-only probe of `hall doctor`


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    role: str
    counters: frozenset[str] = field(default_factory=frozenset)  # pads: the ones it serves
    revoked: bool = False
    password_hash: str = ""  # an enrolled device's hall-bus password, hashed for the broker


class DeviceRegistry:
    """The devices the hub knows, by id: `base` (the roles of the hub's own box, from its
    config) and those in the file `source` (the boxes a technician enrolled), which may
    also revoke a base one. Thread-safe; the file is read again when it changes."""

    def __init__(self, base: Iterable[Device] = (), source: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._base = {d.id: d for d in base}
        self._devices = dict(self._base)
        self.source = source
        self.mtime: float | None = None
        if source is not None:
            self.reload_if_changed()

    def get(self, device_id: str) -> Device | None:
        with self._lock:
            d = self._devices.get(device_id)
        return None if d is None or d.revoked else d

    def add(self, device: Device) -> None:
        with self._lock:
            self._devices[device.id] = device

    def replace(self, devices: Iterable[Device]) -> None:
        """The file's devices over the base ones."""
        with self._lock:
            self._devices = {**self._base, **{d.id: d for d in devices}}

    def all(self) -> list[Device]:
        with self._lock:
            return sorted(self._devices.values(), key=lambda d: d.id)

    def reload_if_changed(self) -> bool:
        """Read the file again if it changed since (the hub asks every few seconds)."""
        if self.source is None:
            return False
        try:
            mtime = self.source.stat().st_mtime
        except FileNotFoundError:
            if self.mtime is not None:  # removed: back to the base devices
                self.replace([])
                self.mtime = None
                return True
            return False
        except OSError:
            return False
        if mtime == self.mtime:
            return False
        check_owner(self.source)
        self.replace(parse(self.source))
        self.mtime = mtime
        return True


def check_device_id(did: object) -> str:
    """A device id: 1-64 of A-Z a-z 0-9 _ . -, not ending in `.doctor` (those are the
    doctor's probes); RegistryError otherwise."""
    if not isinstance(did, str) or not DEVICE_ID.match(did):
        raise RegistryError("a device id is 1-64 of A-Z a-z 0-9 _ . -")
    if did.endswith(RESERVED_SUFFIX):
        raise RegistryError(f"a device id may not end in {RESERVED_SUFFIX} (reserved)")
    return did


def check_owner(path: Path) -> None:
    """Refuse a registry file that a user other than root (or this process's) could have
    written: it decides who may do what in the hall."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid not in (0, os.getuid()) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RegistryError(
            f"{path}: writable by a user other than root (owner uid {st.st_uid}, mode "
            f"{stat.S_IMODE(st.st_mode):o}): refused; `hall device list` as root writes it "
            "again (root-owned, 0644)"
        )


def parse(path: Path) -> list[Device]:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: no device registry (run `hall device add …`)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path}: not a readable device registry ({exc})") from None
    unknown = set(raw) - {"device"}
    if unknown:
        raise RegistryError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    out: list[Device] = []
    for i, entry in enumerate(raw.get("device", [])):
        where = f"{path}: device #{i + 1}"
        if not isinstance(entry, dict):
            raise RegistryError(f"{where}: not a table")
        extra = set(entry) - {"id", "role", "counters", "revoked", "password_hash"}
        if extra:
            raise RegistryError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        did, role = entry.get("id"), entry.get("role")
        try:
            did = check_device_id(did)
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from None
        if role not in ROLES:
            raise RegistryError(f"{where} ({did}): role must be one of {', '.join(ROLES)}")
        counters = entry.get("counters", [])
        if not isinstance(counters, list) or not all(isinstance(c, str) for c in counters):
            raise RegistryError(f"{where} ({did}): counters must be a list of counter ids")
        if counters and role != "pads":
            raise RegistryError(f"{where} ({did}): only a pads device has counters")
        if any(d.id == did for d in out):
            raise RegistryError(f"{where}: {did} listed twice")
        hashed = entry.get("password_hash", "")
        if not isinstance(hashed, str) or (hashed and not hashed.startswith("$7$")):
            raise RegistryError(f"{where} ({did}): password_hash must be a Mosquitto $7$ hash")
        revoked = entry.get("revoked", False)
        if not isinstance(revoked, bool):
            raise RegistryError(f"{where} ({did}): revoked must be true or false")
        out.append(Device(did, role, frozenset(counters), revoked, hashed))
    return out


def dumps(devices: Iterable[Device]) -> str:
    """The registry file's text (the technician's commands write it)."""
    entries: list[dict[str, object]] = []
    for d in sorted(devices, key=lambda d: d.id):
        entry: dict[str, object] = {"id": d.id, "role": d.role}
        if d.counters:
            entry["counters"] = sorted(d.counters)
        if d.revoked:
            entry["revoked"] = True
        if d.password_hash and not d.revoked:
            entry["password_hash"] = d.password_hash
        entries.append(entry)
    return tomlwrite.dumps(
        {"device": entries},
        header="The hall's devices: written by `hall device`; the hub reads it (hall/devices.py).",
    )


@dataclass(frozen=True)
class HubTrust:
    """What the hub needs to know whom to believe: the devices, the city's token key."""

    devices: DeviceRegistry
    city_key: Ed25519PublicKey | None = None
