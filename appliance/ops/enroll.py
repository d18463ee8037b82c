"""Enrolling a box on the hall bus: the bundle `hall device add` prints on the hub box, and
`hall device join` that installs it on the other box (one command each).

    HB1.<base64url(zlib(JSON))>

The JSON names the hall, the device (id, role, counters), where the hall's Mosquitto listens
on the LAN (TLS), the hall's CA, and the device's password: the bundle is a secret (whoever
holds it can be that device until it is revoked or rotated). The hub box keeps the
password's hash only; the bundle is shown once. Carry it on a USB stick or scan its QR code,
and delete it afterwards.
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance import config as hall_config
from appliance.ops import accounts
from hall import files as hallfiles
from hall import tomlwrite
from hall.bus import passwd
from hall.devices import RegistryError, check_device_id

PREFIX = "HB1."
KIND = "hall-bus-enrollment"
MAX_BYTES = 64 * 1024
ENROLLABLE = ("kiosk", "display", "pads", "sync", "tool")
ROLE_SECTION = {"kiosk": "kiosk", "display": "display", "pads": "pads", "sync": "sync"}


class EnrollError(ValueError):
    """A bundle that cannot be used here; the message says why and what to do."""


@dataclass(frozen=True)
class Enrollment:
    hall_id: str
    device: str
    role: str
    password: str
    ca_pem: str
    port: int
    host: str = ""  # empty: keep the [bus] host the city's provisioning wrote
    counters: tuple[str, ...] = ()
    issued_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "kind": KIND,
            "hall_id": self.hall_id,
            "device": self.device,
            "role": self.role,
            "counters": list(self.counters),
            "host": self.host,
            "port": self.port,
            "ca_pem": self.ca_pem,
            "password": self.password,
            "issued_at": self.issued_at or datetime.now(UTC).isoformat(timespec="seconds"),
        }


def encode(e: Enrollment) -> str:
    body = json.dumps(e.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PREFIX + base64.urlsafe_b64encode(zlib.compress(body, 9)).rstrip(b"=").decode("ascii")


def decode(text: str) -> Enrollment:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise EnrollError(
            f"not a hall-bus enrollment: it starts with {PREFIX!r} (`hall device add` on the "
            "hub box prints it)"
        )
    raw = text[len(PREFIX) :]
    try:
        packed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        inflater = zlib.decompressobj()
        body = inflater.decompress(packed, MAX_BYTES + 1)
        data = json.loads(body.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise EnrollError("the enrollment is damaged: copy or scan it again") from None
    if len(body) > MAX_BYTES or not inflater.eof or not isinstance(data, dict):
        raise EnrollError("the enrollment is damaged or too large")
    return _checked(data)


def _checked(d: dict[str, Any]) -> Enrollment:
    if d.get("v") != 1 or d.get("kind") != KIND:
        raise EnrollError("not a version 1 hall-bus enrollment")
    try:
        device = check_device_id(d.get("device"))
    except RegistryError as exc:
        raise EnrollError(f"device: {exc}") from None
    role = d.get("role")
    if role not in ENROLLABLE:
        raise EnrollError(f"role must be one of {', '.join(ENROLLABLE)}")
    port, host, ca = d.get("port"), d.get("host", ""), d.get("ca_pem")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise EnrollError("port must be 1-65535")
    if not isinstance(host, str) or not isinstance(ca, str) or "BEGIN CERTIFICATE" not in ca:
        raise EnrollError("host or the hall's CA is missing or malformed")
    try:
        password = passwd.check_password(str(d.get("password", "")))
    except passwd.PasswordError as exc:
        raise EnrollError(str(exc)) from None
    counters = d.get("counters", [])
    if not isinstance(counters, list) or not all(isinstance(c, str) for c in counters):
        raise EnrollError("counters must be a list of counter ids")
    hall_id = d.get("hall_id")
    if not isinstance(hall_id, str) or not hall_id:
        raise EnrollError("hall_id missing")
    return Enrollment(
        hall_id, device, role, password, ca, port, host, tuple(counters), str(d.get("issued_at"))
    )


@dataclass(frozen=True)
class Joined:
    config: Path
    written: list[Path]
    device: str
    role: str


def join(e: Enrollment, config_path: Path) -> Joined:
    """Install an enrollment on this box: the hall's CA, the device's password, and [bus]
    (TLS to the hub box's LAN listener) and the role's id in the config. Checks everything
    first; a refused enrollment changes nothing."""
    try:
        raw: dict[str, Any] = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EnrollError(
            f"{config_path}: no config: provision this box first (`hall provision BUNDLE`)"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EnrollError(f"{config_path}: cannot read the config: {exc}") from None
    hall = raw.get("hall", {}) if isinstance(raw.get("hall"), dict) else {}
    if hall.get("id") != e.hall_id:
        raise EnrollError(
            f"this enrollment is for hall {e.hall_id}, but this box belongs to hall "
            f"{hall.get('id')}: enroll it on that hall's hub box"
        )
    section = ROLE_SECTION.get(e.role)
    roles = hall.get("roles")
    if section is not None and isinstance(roles, list) and e.role not in roles:
        raise EnrollError(
            f"this box does not run the {e.role} role ([hall] roles = {roles}): enroll it for "
            "a role it runs"
        )
    bus = dict(raw.get("bus", {}) if isinstance(raw.get("bus"), dict) else {})
    if e.host:
        bus["host"] = e.host
    bus["port"] = e.port
    bus["tls"] = True
    raw["bus"] = bus
    if section is not None:
        table = dict(raw.get(section, {}) if isinstance(raw.get(section), dict) else {})
        table["id"] = e.device
        raw[section] = table
    try:
        cfg = hall_config.parse(raw, config_path)
    except hall_config.ConfigError as exc:
        raise EnrollError(f"the config this would write is not valid:\n{exc}") from None
    ca_path = cfg.base / cfg.bus.ca_file
    key = cfg.base / cfg.bus.credentials / f"{e.device}.key"
    text = tomlwrite.dumps(raw, header=_header(config_path))
    for folder, mode, who in (
        (ca_path.parent, 0o755, accounts.root_owner()),
        (key.parent, 0o750, accounts.config_owner()),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(mode)
        hallfiles.chown(folder, who)
    staged = []
    try:
        staged.append(
            (hallfiles.stage(ca_path, e.ca_pem.encode(), 0o644, accounts.root_owner()), ca_path)
        )
        mode = 0o600  # its role's user alone
        data = (e.password + "\n").encode("ascii")
        staged.append((hallfiles.stage(key, data, mode, accounts.secret_owner(e.role)), key))
        st = config_path.stat()  # the config keeps its mode and owner
        same = hallfiles.Owner("", st.st_uid, st.st_gid)
        data = text.encode("utf-8")
        staged.append((hallfiles.stage(config_path, data, st.st_mode & 0o777, same), config_path))
    except BaseException:
        hallfiles.discard(staged)
        raise
    hallfiles.commit(staged)
    return Joined(config_path, [final for _t, final in staged], e.device, e.role)


def _header(path: Path) -> str:
    return (
        f"The hall's config; [bus] written by `hall device join` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n"
        "Every key is checked at start-up: `hall config check` this file after editing it."
    )
