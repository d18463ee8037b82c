"""One process per resource: an exclusive lock file held for the life of a service."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class AlreadyRunning(RuntimeError):
    """Another process holds the lock."""


def hold_lock(path: Path, what: str) -> IO[str]:
    """Lock `<path>.lock` (writing our pid in it) or raise `AlreadyRunning` naming `what`.
    Keep the returned file open for as long as the lock must be held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(f"{path}.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held for the life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise AlreadyRunning(
            f"another {what} is running on {path} (lock {path}.lock); stop it first"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock
