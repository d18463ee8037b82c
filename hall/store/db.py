"""Opening the hall's SQLite database: the one place that knows the pragmas.

The writer (the hub's store, `hall init`, `hall migrate`, the checkpointer) opens it in WAL
mode with `synchronous=FULL`: a commit is on disk before it is confirmed to anyone. Every
reader (sync's outbox, the doctor, the report, `hall events`) opens it read-only through
a `mode=ro` URI, so a reader can never write, whatever its SQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote


class StoreError(RuntimeError):
    """The database cannot be used (wrong hall, not initialised, newer schema …)."""


def readonly_uri(path: str | Path) -> str:
    """A `file:` URI that opens `path` read-only (characters such as `?`, `#` and `%` in the
    path are escaped, so they cannot turn into URI parameters)."""
    return f"file:{quote(str(Path(path)))}?mode=ro"


def open_db(
    path: str | Path, *, readonly: bool = False, timeout: float = 10.0
) -> sqlite3.Connection:
    """A connection to the hall's database: autocommit (transactions are explicit), rows as
    `sqlite3.Row`, usable from any thread, waiting up to `timeout` s for a lock.

    Read-write: WAL journal (refused if the file system cannot do it) and synchronous=FULL.
    Read-only: the file must exist; nothing can be written through this connection."""
    if readonly:
        conn = sqlite3.connect(
            readonly_uri(path),
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=timeout,
        )
    else:
        conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=timeout
        )
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal" and str(path) != ":memory:":
                raise StoreError(f"{path}: could not switch to WAL journal (got {mode})")
            conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn
