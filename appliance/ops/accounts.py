"""Who owns what on a box: a service user per role (deploy/install.sh makes them).

    hall-hub      the queue's database (/var/lib/hall/hall.db): the only one that writes it
    hall-kiosk    the kiosk's state; cannot read the database
    hall-display  the display; no state of its own
    hall-pads     the pads' state
    hall-sync     the city link's state; reads the database (group hall-db), writes hall.toml
    group hall    every role's user: reads the config
    group hall-db who may read the database (hall-sync)

A secret belongs to the user of the one role that needs it, readable by nobody else (0600:
a unit's primary group is not always its user's, the hub's is hall-db). Files
written by a technician's command as root get these owners; run as another user (tests, a
developer's box) or on a box without these users, files stay that user's.
"""

from __future__ import annotations

import grp
import os
import pwd
from typing import Final

from hall.files import Owner

ROLE_USERS: Final = {
    "hub": "hall-hub",
    "kiosk": "hall-kiosk",
    "display": "hall-display",
    "pads": "hall-pads",
    "sync": "hall-sync",
}
SHARED_GROUP: Final = "hall"
DB_GROUP: Final = "hall-db"
BROKER_GROUP: Final = "mosquitto"


def _gid(group: str) -> int | None:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return None


def _uid(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def owner(user: str | None, group: str) -> Owner | None:
    """`user` (None: root) and `group`, when running as root on a box that has both; None
    otherwise (the file stays the current user's)."""
    if os.geteuid() != 0:
        return None
    gid = _gid(group)
    uid = 0 if user is None else _uid(user)
    if gid is None or uid is None:
        return None
    return Owner(user or "root", uid, gid)


def secret_owner(role: str) -> Owner | None:
    """`role`'s user (group root) for a secret only that role reads, mode 0600; a
    technician's tool: root."""
    user = ROLE_USERS.get(role)
    if user is None:
        return owner(None, "root")
    return owner(user, "root")


def config_owner() -> Owner | None:
    """root:hall (every role reads the config; only root writes it)."""
    return owner(None, SHARED_GROUP)


def broker_owner() -> Owner | None:
    """root:mosquitto (the broker reads its password and ACL files when it reloads)."""
    return owner(None, BROKER_GROUP)


def root_owner() -> Owner | None:
    return owner(None, "root")
