"""Files replaced atomically: a power cut leaves the old file or the new one, never half of
either, and a key is never readable by others, not even for a moment.

A file is written to a temporary name in its own folder with its final mode from the start
(and its owner, when one is given), fsynced, renamed over the old one, and the folder is
fsynced so that the rename itself survives. `write_atomic` does one file; provisioning
stages several (`stage`) and renames them together (`commit`), or throws them away
(`discard`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

NEW_FILE_MODE = 0o600


@dataclass(frozen=True)
class Owner:
    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()


def _keep_group(gid: int) -> Owner | None:
    """This user with the group `gid`, if this user may give a file that group."""
    if os.geteuid() != 0 and gid not in os.getgroups():
        return None
    return Owner("", os.geteuid(), gid)


def chown(fd_or_path: int | Path, owner: Owner | None) -> None:
    """Give the file to `owner`; nothing to do for no owner, or for ourselves unless root."""
    if owner is None or (owner.is_current and os.geteuid() != 0 and owner.gid == os.getegid()):
        return
    if isinstance(fd_or_path, int):
        os.fchown(fd_or_path, owner.uid, owner.gid)
    else:
        os.chown(fd_or_path, owner.uid, owner.gid)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(path: Path, data: bytes, mode: int, owner: Owner | None = None) -> Path:
    """Write `data` to a new temporary file beside `path` (mode `mode`, fsynced); return its
    name. Nothing is renamed yet."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)  # mkstemp made it 0600; the final mode, not masked by the umask
        chown(fd, owner)
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


def write_atomic(
    path: Path, data: bytes, *, mode: int | None = None, owner: Owner | None = None
) -> None:
    """Replace `path` with `data`. `mode` None: the old file's mode and group (0600 for a new
    file), so a file another user's group may read stays readable when its owner rewrites it."""
    if mode is None:
        try:
            st = path.stat()
            mode = st.st_mode & 0o777
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        else:
            if owner is None and st.st_gid != os.getegid():
                owner = _keep_group(st.st_gid)
    tmp = stage(path, data, mode, owner)
    try:
        commit([(tmp, path)])
    except BaseException:
        discard([(tmp, path)])
        raise
