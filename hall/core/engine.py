"""Turning decisions into numbered events and applying them: shared by the store and by
`MemoryHall`, the core run in memory (for the property tests and simulations)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from hall.core import chain
from hall.core import commands as c
from hall.core import events as ev
from hall.core.apply import apply
from hall.core.decide import Decision, day_rollover, decide
from hall.core.state import HallState, Touched
from hall.core.timekeeping import Clock, HallClock, rfc3339

Sink = Callable[[ev.Event, Touched], None]


def uuid4() -> str:
    """A random (version 4) UUID as text, as str(uuid.uuid4()) gives it, without the UUID
    object on the way (one per event)."""
    b = bytearray(secrets.token_bytes(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def append(
    state: HallState,
    decision: Decision,
    now_ts: float,
    sink: Sink,
    new_id: Callable[[], str] = uuid4,
) -> list[ev.Event]:
    """Number the decision's events after the log's end, apply each, hand each to `sink`."""
    out = []
    ts = max(now_ts, state.last_ts)
    at = rfc3339(ts, state.tz)
    for payload in decision.events:
        if isinstance(payload, ev.ClockRewound):  # the one event whose time goes back
            ts, at = payload.to_ts, payload.to_at
        seq, eid, data = state.last_seq + 1, new_id(), payload.to_data()
        h, text = chain.event_link(state.chain_head, seq, eid, payload.TYPE, at, data)
        e = ev.Event(seq, eid, at, ts, payload, h, data, text)
        touched = apply(state, e)
        sink(e, touched)
        out.append(e)
    return out


class MemoryHall:
    """The queue core with its log in a list: no SQLite. Same rules, same events."""

    def __init__(self, state: HallState, clock: Clock) -> None:
        self.state = state
        self._wall_clock = clock
        self.clock = HallClock(clock, state.last_ts)
        self.log: list[ev.Event] = []

    def _sink(self, e: ev.Event, touched: Touched) -> None:
        self.log.append(e)

    def execute(self, cmd: c.Command) -> dict[str, Any]:
        now = self.clock.read()
        roll = day_rollover(self.state, now)
        if roll is not None:
            append(self.state, roll, now.ts, self._sink)
        decision = decide(self.state, cmd, now)
        events = append(self.state, decision, now.ts, self._sink)
        for e in events:
            self.clock.observe(e.ts)
        if any(isinstance(e.payload, ev.ClockRewound) for e in events):
            self.clock = HallClock(self._wall_clock, self.state.last_ts)
        return decision.result.to_dict()
