"""WAL checkpoints off the request path.

SQLite copies committed pages from the WAL into the database file when the WAL reaches
`wal_autocheckpoint` pages (1000 by default), inside the commit that crosses the mark:
with a call writing about 11 pages that is one command in ninety waiting several
milliseconds more for the copy and an fsync of the database file, the hub's p99. The hub
instead raises that mark far out of the way (a safety net should this thread stall) and
runs a PASSIVE checkpoint from its own connection every second: it never blocks the
writer, and SQLite reuses the WAL from its start once a checkpoint has caught up.

Durability is unchanged: every commit is still in the WAL and fsynced before it is
confirmed (synchronous=FULL).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from hall.store.db import open_db

log = logging.getLogger(__name__)

SAFETY_NET_PAGES = 20_000  # ~80 MB of WAL: only if the checkpointer stopped working


class Checkpointer:
    def __init__(
        self,
        path: str | Path,
        *,
        interval: float = 1.0,
        after: Callable[[], object] | None = None,
    ) -> None:
        self.path = Path(path)
        self.after = after  # run after each checkpoint (the hub flushes the log's head file)
        self.interval = interval
        self.runs = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def run_once(self, conn: sqlite3.Connection) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, frames in the WAL, frames copied)."""
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.runs += 1
        return int(busy), int(frames), int(copied)

    def _run(self) -> None:
        conn = open_db(self.path, timeout=1.0)
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.run_once(conn)
                except sqlite3.Error as exc:
                    self.failures += 1
                    log.warning("WAL checkpoint failed (will retry): %s", exc)
                if self.after is not None:
                    try:
                        self.after()
                    except OSError as exc:
                        self.failures += 1
                        log.warning("the log's head file was not written (will retry): %s", exc)
        finally:
            conn.close()
