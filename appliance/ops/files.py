"""Files written by the technician's commands: atomically, with their owner and mode.

A file is written to a temporary name in its own folder with its final mode from the
start (a key is never readable by others, not even for a moment), fsynced, given its
owner, renamed over the old one and the folder fsynced: a power cut leaves the old file
or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "hall"


class OwnerError(ValueError):
    """The requested owner does not exist on this box."""


@dataclass(frozen=True)
class Owner:
    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()


def resolve_owner(requested: str | None = None) -> Owner:
    """Who owns what provisioning writes: ``requested``; else the service user ``hall`` when
    running as root; else the current user."""
    name = requested
    if name is None:
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return Owner(entry.pw_name, entry.pw_uid, entry.pw_gid)
        name = SERVICE_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        hint = (
            " (deploy/install.sh creates it; or give --owner USER)" if name == SERVICE_USER else ""
        )
        raise OwnerError(f"there is no user '{name}' on this box{hint}") from None
    return Owner(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _chown(fd_or_path: int | Path, owner: Owner | None) -> None:
    if owner is None or (owner.is_current and os.geteuid() != 0):
        return
    if isinstance(fd_or_path, int):
        os.fchown(fd_or_path, owner.uid, owner.gid)
    else:
        os.chown(fd_or_path, owner.uid, owner.gid)


def ensure_dir(path: Path, mode: int, owner: Owner | None) -> None:
    """Create ``path`` (and parents) if missing; set its mode and owner."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    _chown(path, owner)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(path: Path, data: bytes, mode: int, owner: Owner | None) -> Path:
    """Write ``data`` to a temporary file beside ``path``; return its name (not renamed yet)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode is masked by the umask; this is not
        _chown(fd, owner)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.close(fd)
    return tmp


def commit(staged: list[tuple[Path, Path]]) -> None:
    """Rename each staged (temporary, final) pair into place, then fsync their folders."""
    for tmp, final in staged:
        os.replace(tmp, final)
    for folder in {final.parent for _tmp, final in staged}:
        fsync_dir(folder)


def discard(staged: list[tuple[Path, Path]]) -> None:
    for tmp, _final in staged:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_atomic(path: Path, data: bytes, mode: int, owner: Owner | None = None) -> None:
    commit([(stage(path, data, mode, owner), path)])
