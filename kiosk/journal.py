"""The print journal: the ticket in flight, on disk, so that a restarted kiosk knows.

Printing is part of issuing (DESIGN rule 4), and the kiosk can be killed at any instant. The
hub alone cannot tell a ticket that is in a citizen's hand from one that never printed, so
before each step the kiosk writes down where it is (one small JSON file, replaced atomically:
write, fsync, rename, fsync the folder). At most one ticket is in flight per kiosk.

| phase      | written                             | a restart finds it and …                |
|------------|-------------------------------------|-----------------------------------------|
| `issuing`  | before the request (its key)        | asks the hub again with the same key    |
|            |                                     | (the stored result, never a second      |
|            |                                     | ticket), then voids it: nothing printed |
| `printing` | after the hub's reply, before any   | never prints again (no double print);   |
|            | byte goes to the printer            | voids it, or keeps it for a reprint     |
|            |                                     | (`queue.print_failure`), and reports    |
|            |                                     | `print_interrupted` with the number     |
| `sent`     | every byte was handed to the link   | the same as `printing`                  |
| `printed`  | the printer said OK after the job   | confirms it                             |
| `voiding`  | the print failed                    | voids it (void is idempotent)           |

The entry is removed once the hub has the last word (confirmed, voided, or refused). If the
hub cannot be reached, the entry stays and recovery runs again on the next connection or
before the next ticket; meanwhile the hub itself voids any ticket still "printing" after
`queue.print_confirm_seconds`, so nothing unprinted is ever called (no phantom ticket).

Why `sent` is voided and not confirmed: the last byte leaving the kiosk says nothing about
paper. A network printer's job (a few KB) fits in the socket buffers, so `sendall` returns at
once even when the printer has hung after the first hundred bytes (tests/kiosk/
test_kiosk_kill.py shows it); a USB or serial link buffers too. Only the printer's status
answer after the job (phase `printed`) shows that the ticket came out whole, and asking the
printer again after a restart cannot tell about a job that is gone. The one case this gets
wrong is a kiosk killed in the milliseconds between a healthy printer's answer and writing
`printed`: a whole ticket in a hand, voided. The `print_interrupted` device report carries the
number, so staff can see it and help, and that is rarer and less harmful than a ticket called
that nobody holds, or a second ticket with the same number.

In ``reprint`` mode (`queue.print_failure`) a failed ticket is kept in ``reprints`` with its
printed fields (no personal data) for the technician screen's 补打 button.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from hall.files import write_atomic

log = logging.getLogger(__name__)

PHASES = ("issuing", "printing", "sent", "printed", "voiding")


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {"inflight": None, "reprints": []}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            bad = self.path.with_suffix(".corrupt")
            log.warning("print journal %s unreadable (%s); kept as %s", self.path, exc, bad)
            os.replace(self.path, bad)
            return
        inflight = raw.get("inflight") if isinstance(raw, dict) else None
        if inflight is not None and (
            not isinstance(inflight, dict) or inflight.get("phase") not in PHASES
        ):
            log.warning("print journal %s: in-flight entry not understood; dropped", self.path)
            inflight = None
        reprints = raw.get("reprints") if isinstance(raw, dict) else None
        self._data = {
            "inflight": inflight,
            "reprints": [r for r in reprints or [] if isinstance(r, dict) and "ticket_id" in r],
        }

    def _save(self) -> None:
        write_atomic(
            self.path, json.dumps(self._data, ensure_ascii=False).encode("utf-8"), mode=0o600
        )

    @property
    def inflight(self) -> dict[str, Any] | None:
        with self._lock:
            entry = self._data["inflight"]
            return dict(entry) if entry else None

    def begin(self, key: str, command: str, args: dict[str, Any]) -> None:
        with self._lock:
            if self._data["inflight"] is not None:
                raise RuntimeError("a ticket is already in flight; recover it first")
            self._data["inflight"] = {
                "phase": "issuing",
                "key": key,
                "command": command,
                "args": args,
            }
            self._save()

    def advance(self, phase: str, **fields: Any) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown journal phase {phase!r}")
        with self._lock:
            entry = self._data["inflight"]
            if entry is None:
                raise RuntimeError("no ticket in flight")
            entry.update(fields, phase=phase)
            self._save()

    def clear(self) -> None:
        with self._lock:
            if self._data["inflight"] is not None:
                self._data["inflight"] = None
                self._save()

    @property
    def reprints(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._data["reprints"]]

    def keep_for_reprint(self, entry: dict[str, Any]) -> None:
        """Move the in-flight ticket to the reprint list (one step, one write)."""
        with self._lock:
            self._data["reprints"].append(entry)
            self._data["inflight"] = None
            self._save()

    def drop_reprint(self, ticket_id: str) -> None:
        with self._lock:
            before = len(self._data["reprints"])
            self._data["reprints"] = [
                r for r in self._data["reprints"] if r.get("ticket_id") != ticket_id
            ]
            if len(self._data["reprints"]) != before:
                self._save()
