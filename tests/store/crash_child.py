"""Child for the crash test: issue and call in a loop, print each action after its commit."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.rules import Rules
from hall.core.timekeeping import FixedClock
from hall.store.store import HallStore
from tests.conftest import CATALOG, COUNTERS, HALL_ID, TZ, at


def main(path: str, start_ts: float) -> None:
    clock = FixedClock(start_ts)
    store = HallStore(Path(path), hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=clock)
    if not store.initialised:
        store.setup(CATALOG, COUNTERS)
    for cid in ("1", "2"):
        with contextlib.suppress(Refused):
            store.execute(c.SignIn(cid, "10" + cid))
    out = sys.stdout
    i = 0
    while True:
        i += 1
        clock.advance(1)
        r = store.execute(c.IssueTicket("SB-001")).result
        out.write(f"issued {r['number']}\n")
        out.flush()
        if i % 2 == 0:
            cid = "1" if i % 4 == 0 else "2"
            try:
                r = store.execute(c.CallNext(cid)).result
                out.write(f"called {r['number']} {cid}\n")
                out.flush()
            except Refused:
                pass


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else at("09:05"))
