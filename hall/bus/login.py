"""How a process logs in to the hall bus: its device id, its password, TLS off the hub box.

The config's [bus] says where the hall's Mosquitto is, whether to use TLS (checked against the
hall's own CA, `ca_file`) and where this box keeps its passwords (`credentials`, one file
`<device id>.key` per role, readable by that role's service user only). A role without a
password file connects without one; the hall's Mosquitto refuses it (and says so in the
log), which is what a box that was never enrolled should see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from hall.bus.topics import check_client_id
from hall.mqttvalues import TlsFiles
from hall.settings import ConfigError, HallCommon

log = logging.getLogger(__name__)

KEY_SUFFIX = ".key"


class LoginError(ConfigError):
    """A credential that exists but cannot be used (unreadable, empty); the message says
    which file and what to do."""


@dataclass(frozen=True, slots=True)
class BusLogin:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: TlsFiles | None

    def as_user(self, username: str) -> BusLogin:
        """The same password and TLS under another username (the doctor's probe)."""
        return replace(self, username=username)


def key_path(cfg: HallCommon, device_id: str) -> Path:
    return cfg.base / cfg.bus.credentials / f"{check_client_id(device_id)}{KEY_SUFFIX}"


def read_password(path: Path) -> str | None:
    """The password in `path`, None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except PermissionError:
        raise LoginError(
            f"{path}: not readable by this user: the role's own user reads its password "
            "(run the role as its systemd unit does, or the command as root)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoginError(f"{path}: cannot read the hall-bus password: {exc}") from None
    if not text:
        raise LoginError(f"{path}: empty: enroll again (`hall device rotate` on the hub box)")
    return text


def login_for(cfg: HallCommon, device_id: str) -> BusLogin:
    """How `device_id` logs in to the hall bus of `cfg` (LoginError for an unusable file)."""
    b = cfg.bus
    path = key_path(cfg, device_id)
    password = read_password(path)
    if password is None:  # the doctor reports it (bus-credentials); a dev broker needs none
        log.info(
            "%s: no hall-bus password at %s: connecting without one (the hall's Mosquitto "
            "refuses it; enroll this box with `hall device join`)",
            device_id,
            path,
        )
    tls = TlsFiles(str(cfg.base / b.ca_file), check_hostname=False) if b.tls else None
    return BusLogin(b.host, b.port, device_id if password is not None else None, password, tls)
