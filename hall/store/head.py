"""The log's head kept outside the database: what the hall had confirmed, in a file of its
own beside it (`hall.db.head`), so that a database that lost confirmed events (a deleted
WAL, a restored copy, a damaged disk) is noticed and never numbers a ticket twice.

The file holds the last seq and its `h`, and the ticket numbers reserved per prefix for the
open day. A reservation is written and fsynced *before* the command that crosses it
commits, a block of `RESERVE` numbers at a time (one extra fsync per 20 tickets of a
prefix); the seq and `h` follow within a second (the checkpoint thread flushes them). After
a loss, numbering continues above the reservation (`hall audit accept-loss`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from hall.files import write_atomic

RESERVE = 20


@dataclass(frozen=True, slots=True)
class Head:
    seq: int = 0
    h: str = ""
    day: str = ""  # the business day the reservations are for
    reserved: dict[str, int] = field(default_factory=dict)  # prefix → highest serial reserved

    def to_json(self) -> str:
        return json.dumps(
            {"v": 1, "seq": self.seq, "h": self.h, "day": self.day, "reserved": self.reserved},
            sort_keys=True,
        )


class HeadFileError(RuntimeError):
    """The head file exists but cannot be read as one."""


def head_path(database: Path) -> Path:
    return database.with_name(database.name + ".head")


def read_head(path: Path) -> Head | None:
    """The head file's content; None when there is none (a database older than the file)."""
    try:
        raw = json.loads(path.read_text("utf-8"))
        return Head(
            seq=int(raw["seq"]),
            h=str(raw["h"]),
            day=str(raw.get("day", "")),
            reserved={str(k): int(v) for k, v in dict(raw.get("reserved", {})).items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HeadFileError(f"{path}: not a readable head file ({exc})") from None


def write_head(path: Path, head: Head) -> None:
    """Replace the file whole (hall/files.py: temp file fsynced, renamed, folder fsynced)."""
    write_atomic(path, head.to_json().encode(), mode=0o640)


class HeadKeeper:
    """The writer's side: reservations before a commit, the head flushed after."""

    def __init__(self, path: Path, start: Head) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._written = start
        self._current = start

    @property
    def current(self) -> Head:
        return self._current

    def reserve(self, day: str, serials: dict[str, int]) -> None:
        """Before a commit that issues these serials: make sure they are reserved on disk."""
        with self._lock:
            held = self._current.reserved if self._current.day == day else {}
            need = {p: s for p, s in serials.items() if s > held.get(p, 0)}
            if not need:
                return
            reserved = {**held, **{p: s + RESERVE - 1 for p, s in need.items()}}
            head = replace(self._written, day=day, reserved=reserved)
            write_head(self.path, head)
            self._written = head
            self._current = replace(self._current, day=day, reserved=reserved)

    def committed(self, seq: int, h: str) -> None:
        with self._lock:
            self._current = replace(self._current, seq=seq, h=h)

    def flush(self) -> bool:
        """Write the committed seq and `h` if they moved (the checkpoint thread, every s)."""
        with self._lock:  # held while writing: a reservation never goes back on disk
            if self._current == self._written:
                return False
            write_head(self.path, self._current)
            self._written = self._current
            return True
