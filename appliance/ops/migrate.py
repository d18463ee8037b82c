"""The database migration run on upgrade: backup, migrate, check, or restore the backup.

The install script stops the roles, switches to the new software and runs
`hall migrate`; a non-zero exit makes it switch back to the previous version. The backup
is taken with SQLite's online backup API (a consistent copy even with a WAL), so the
restore puts back exactly the database the old software left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hall.store import schema
from hall.store.db import open_db

Migrator = Callable[[sqlite3.Connection], int]


class MigrationError(RuntimeError):
    """The migration failed and the database was restored from the backup."""


@dataclass(frozen=True)
class Outcome:
    database: Path
    backup: Path | None
    from_version: int
    to_version: int

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup(db: Path, folder: Path, version: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = folder / f"{db.stem}-{stamp}-v{version}.db"
    n = 1
    while dest.exists():
        n += 1
        dest = folder / f"{db.stem}-{stamp}-v{version}-{n}.db"
    src = open_db(db, readonly=True)
    try:
        # A plain connection: a new file that only receives the copy needs no pragmas.
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    os.chmod(dest, 0o600)
    return dest


def restore(copy: Path, db: Path) -> None:
    """Put ``copy`` back as ``db`` (no WAL or shared-memory file left beside it), with the
    owner and mode ``db`` had: the install script runs this as root, the hub as `hall`."""
    tmp = db.with_name(f".{db.name}.restore")
    shutil.copyfile(copy, tmp)
    with contextlib.suppress(FileNotFoundError):
        st = db.stat()
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}{suffix}").unlink()
    os.replace(tmp, db)


def prune(folder: Path, stem: str, keep: int) -> None:
    """Keep the newest ``keep`` backups of ``stem``."""
    copies = sorted(folder.glob(f"{stem}-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[keep:]:
        old.unlink()


def migrate_database(
    db: Path, backup_dir: Path, migrator: Migrator = schema.migrate, keep: int = 5
) -> Outcome:
    """Back ``db`` up and bring it to this software's schema; on any failure restore the
    backup and raise MigrationError."""
    if not db.exists():
        return Outcome(db, None, 0, 0)  # a new hall: the hub creates it
    conn = open_db(db)
    try:
        before = user_version(conn)
    finally:
        conn.close()
    if before > schema.SCHEMA_VERSION:
        raise MigrationError(
            f"{db} has schema version {before}, newer than this software "
            f"({schema.SCHEMA_VERSION}): install the newer software (nothing was changed)"
        )
    copy = backup(db, backup_dir, before)
    prune(backup_dir, db.stem, keep)
    if before == schema.SCHEMA_VERSION:
        return Outcome(db, copy, before, before)
    try:
        conn = open_db(db)
        try:
            after = migrator(conn)
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check after migrating: {check}")
        finally:
            conn.close()
    except Exception as exc:
        restore(copy, db)
        raise MigrationError(
            f"migrating {db} from schema {before} failed ({exc}); the database was restored "
            f"from {copy}"
        ) from exc
    return Outcome(db, copy, before, after)
