"""One process per resource: an exclusive lock file held for the life of a service.

The lock file is named after the resource's real path (symlinks resolved), so two names of
one file (`/var/lib/hall/hall.db` and a symlink to it) take the same lock. It holds the pid
and what holds it, so the one refused can say who is in the way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO


class LockError(RuntimeError):
    """The lock cannot be taken; the message says why and what to do, in one line."""


class AlreadyRunning(LockError):
    """Another process holds the lock."""


class LockFileError(LockError):
    """The lock file cannot be created or opened (permissions, read-only file system …)."""


def lock_path(path: Path) -> Path:
    """`<real path>.lock`: the same for every name of the same file."""
    real = Path(path).resolve()
    return real.with_name(real.name + ".lock")


def _open(lock: Path) -> IO[str]:
    """Open (or create) the lock file; read-only if it exists but is not ours to write (a
    copy made by root): flock works on any open file."""
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        return open(lock, "a+", encoding="utf-8")
    except PermissionError:
        if lock.is_file():
            with contextlib.suppress(OSError):
                return open(lock, encoding="utf-8")
        raise


def holder(lock: Path) -> tuple[str, str]:
    """(pid, what) as the lock file says, empty strings where it cannot say."""
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        return "", ""
    pid, _, what = text.partition(" ")
    return pid, what


def _in_use(path: Path, lock: Path, what: str) -> str:
    pid, other = holder(lock)
    if other and other != what:
        return (
            f"{path} is in use by {other} (pid {pid}, lock {lock}): {what} cannot run until it ends"
        )
    by = f", pid {pid}" if pid else ""
    return f"another {what} is running on {path} (lock {lock}{by}); stop it first"


def hold_lock(path: Path, what: str) -> IO[str]:
    """Lock `<path>.lock` (writing our pid and `what` in it) or raise `AlreadyRunning`
    naming `what` and the holder, or `LockFileError`. Keep the returned file open for as
    long as the lock must be held."""
    lock = lock_path(path)
    try:
        f = _open(lock)
    except OSError as exc:
        raise LockFileError(
            f"cannot open the lock file {lock} ({exc.strerror or exc}): the user running "
            f"{what} (uid {os.geteuid()}) must be able to write in {lock.parent}"
        ) from None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise AlreadyRunning(_in_use(path, lock, what)) from None
    if f.writable():
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()} {what}\n")
        f.flush()
    return f
