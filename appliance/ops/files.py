"""Files written by the technician's commands: atomically, with their owner and mode.

The writing is the library's (`hall.files`: temporary file with the final mode and owner,
fsync, rename, fsync of the folder); here is who owns what provisioning writes.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from hall.files import Owner, chown, commit, discard, stage

__all__ = ["Owner", "OwnerError", "commit", "discard", "ensure_dir", "resolve_owner", "stage"]

SERVICE_USER = "hall-hub"  # the database's owner
ROLE_USERS = ("hall-hub", "hall-kiosk", "hall-display", "hall-pads", "hall-sync")


class OwnerError(ValueError):
    """The requested owner does not exist on this box."""


def resolve_owner(requested: str | None = None) -> Owner | None:
    """Who owns what provisioning writes: ``requested``; else, as root, each file the owner of
    its kind (None: a user per role, appliance/ops/layout.py), which needs the role users
    deploy/install.sh makes; else the current user."""
    name = requested
    if name is None:
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return Owner(entry.pw_name, entry.pw_uid, entry.pw_gid)
        for user in ROLE_USERS:
            try:
                pwd.getpwnam(user)
            except KeyError:
                raise OwnerError(
                    f"there is no user '{user}' on this box (deploy/install.sh creates the "
                    "role users; or give --owner USER)"
                ) from None
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise OwnerError(f"there is no user '{name}' on this box") from None
    return Owner(entry.pw_name, entry.pw_uid, entry.pw_gid)


def ensure_dir(path: Path, mode: int, owner: Owner | None) -> None:
    """Create ``path`` (and parents) if missing; set its mode and owner."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    chown(path, owner)
