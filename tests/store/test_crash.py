"""SIGKILL a process that issues and calls, many times: nothing it confirmed is lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hall.core.rules import Rules
from hall.core.timekeeping import FixedClock
from hall.store.rebuild import compare_with_rebuild
from hall.store.store import HallStore
from tests.conftest import HALL_ID, ROOT, TZ, at

ROUNDS = int(os.environ.get("HALL_CRASH_ROUNDS", "25"))


@pytest.mark.slow
def test_kill_9_loses_nothing_confirmed(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    rng = random.Random(7)
    confirmed_issued: set[str] = set()
    confirmed_called: dict[str, str] = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(ROUNDS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.crash_child", str(db), str(at("09:05"))],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # it is up and working; now kill it at a random moment
        time.sleep(rng.uniform(0.01, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in [first, *out.splitlines()]:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "issued":
                confirmed_issued.add(parts[1])
            elif len(parts) == 3 and parts[0] == "called":
                confirmed_called[parts[1]] = parts[2]
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The tables follow the log in batches: never ahead of it, and a store that opens
        # the database (as the hub does) applies the events they do not have yet.
        upto, last = conn.execute(
            "SELECT (SELECT projected_seq FROM hall), (SELECT max(seq) FROM events)"
        ).fetchone()
        assert upto is None or upto <= last
        store = HallStore(db, hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=FixedClock(at("09:05")))
        in_state = {t.number for t in store.state.tickets.values()}
        missing = confirmed_issued - in_state
        assert not missing, f"confirmed but lost: {sorted(missing)[:5]}"
        store.flush_tables()
        assert compare_with_rebuild(store) == []
        store.close()
        numbers = {r[0] for r in conn.execute("SELECT number FROM tickets")}
        missing = confirmed_issued - numbers
        assert not missing, f"confirmed but not in the tables: {sorted(missing)[:5]}"
        for number, counter in confirmed_called.items():
            row = conn.execute(
                "SELECT count(*) FROM events WHERE type = 'ticket.called' "
                "AND json_extract(data, '$.number') = ? AND json_extract(data, '$.counter') = ?",
                (number, counter),
            ).fetchone()
            assert row[0] >= 1, f"call of {number} at {counter} lost"
        seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        conn.close()
    assert len(confirmed_issued) > ROUNDS  # the child really worked between kills
