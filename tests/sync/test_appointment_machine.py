"""Appointment races as a Hypothesis state machine: book, reschedule, cancel in the city;
check in and close the day (no-shows) in the hall; messages lost, duplicated, reordered and
replayed in between. The city's core and the hall's applier and hub are the real ones; the
network between them is a list the machine plays with. After healing, both sides follow
the contract: the highest version wins, a check-in stands, nothing applied twice."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from appliance.config import parse
from appliance.local import LocalHall
from hall.hubapi.client import CommandRefused
from sync import wire
from sync.city_peer.core import CityCore
from sync.city_peer.store import CityStore
from sync.inbound import Applier
from sync.outbox import Outbox
from sync.settings import SyncSection
from sync.state import SyncState
from tests.sync.citykit import DAY, HALL_ID, hall_clock

Msg = tuple[str, bytes]


class AppointmentRaces(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # fsync costs nothing there
        self.tmp = Path(tempfile.mkdtemp(prefix="appt-races-", dir=shm))
        self.hall = LocalHall(self.tmp / "hall", transport="inproc", clock=hall_clock("09:00"))
        _, self.client = self.hall.connect("sync", "sync")
        self.state = SyncState(self.tmp / "sync.db")
        self.applier = Applier(
            HALL_ID,
            self.state,
            self.client,
            self,
            self,
            SyncSection(managed_sections=[]),
            config_path=self.hall.config_path,
            validate_config=parse,
        )
        self.city = CityCore(CityStore(self.tmp / "city.db"), self._city_out, seed=0)
        self.outbox = Outbox(self.hall.cfg.database_path)
        self.to_hall: list[Msg] = []
        self.to_city: list[Msg] = []
        self.seen: list[Msg] = []
        self.acked = 0
        self.checked_in: set[str] = set()
        self.closed = False

    # --- the two ends -----------------------------------------------------------------

    def _city_out(self, topic: str, payload: dict[str, Any], retain: bool) -> None:
        self.to_hall.append((topic, wire.encode(payload)))

    def request_sync(self, after: int, *, force: bool = False) -> None:
        self.to_city.append(
            (wire.up(HALL_ID, "appointments-sync"), wire.encode({"v": 1, "after": after}))
        )

    def rewind_to(self, from_seq: int, why: str = "command") -> None: ...

    def command_result(self, result: dict[str, Any]) -> None: ...

    def config_reported(self, report: dict[str, Any]) -> None: ...

    def _hall_gets(self, msg: Msg) -> None:
        route, payload = wire.parse(*msg)
        if route.kind == "appointments" and payload["cursor"] - len(payload["changes"]) > (
            self.applier.cursor
        ):
            event("a skipped cursor")
        if route.kind == "events-ack":
            self.acked = max(self.acked, int(payload["acked_through"]))
        elif route.kind == "appointments":
            self.state.put_inbox("appointments", payload)
            while self.applier.step():
                pass
        self.seen.append(msg)

    def _ids(self) -> list[str]:
        return [a["id"] for a in self.city.store.appointments(HALL_ID)]

    # --- the city ---------------------------------------------------------------------

    @rule(
        slot=st.sampled_from(["09:30", "10:00", "14:00"]),
        service=st.sampled_from(["SB-001", "YB-001"]),
    )
    def book(self, slot: str, service: str) -> None:
        self.city.book(HALL_ID, service, DAY.isoformat(), slot, f"{slot[:2]}:50")

    @precondition(lambda self: self._ids())
    @rule(i=st.integers(0, 50), slot=st.sampled_from(["09:40", "10:10"]))
    def reschedule(self, i: int, slot: str) -> None:
        ids = self._ids()
        self.city.reschedule(ids[i % len(ids)], slot_start=slot, slot_end=f"{slot[:2]}:55")

    @precondition(lambda self: self._ids())
    @rule(i=st.integers(0, 50))
    def cancel(self, i: int) -> None:
        ids = self._ids()
        self.city.cancel(ids[i % len(ids)])

    # --- the network ------------------------------------------------------------------

    @precondition(lambda self: self.to_hall)
    @rule(i=st.integers(0, 50))
    def deliver_any(self, i: int) -> None:
        self._hall_gets(self.to_hall.pop(i % len(self.to_hall)))

    @precondition(lambda self: self.to_hall)
    @rule()
    def deliver_next(self) -> None:
        self._hall_gets(self.to_hall.pop(0))

    @precondition(lambda self: self.to_hall)
    @rule(i=st.integers(0, 50))
    def lose(self, i: int) -> None:
        self.to_hall.pop(i % len(self.to_hall))

    @precondition(lambda self: self.to_hall)
    @rule(i=st.integers(0, 50))
    def duplicate(self, i: int) -> None:
        self.to_hall.append(self.to_hall[i % len(self.to_hall)])

    @precondition(lambda self: self.seen)
    @rule(i=st.integers(0, 50))
    def replay(self, i: int) -> None:
        self._hall_gets(self.seen[i % len(self.seen)])

    @precondition(lambda self: self.to_city)
    @rule()
    def city_gets(self) -> None:
        self.city.handle(*self.to_city.pop(0))

    @rule()
    def reconnect(self) -> None:
        self.request_sync(self.applier.cursor, force=True)

    @rule()
    def events_up(self) -> None:
        top = self.outbox.max_seq()
        b = self.outbox.batch(HALL_ID, self.acked + 1, top, max_events=500, max_bytes=256 * 1024)
        if b is not None:
            self.city.handle(wire.up(HALL_ID, "events"), b.data)

    # --- the hall ---------------------------------------------------------------------

    @rule(i=st.integers(0, 50))
    def check_in(self, i: int) -> None:
        state = self.hall.store.state.appointments
        appts = sorted(a for a, x in state.items() if x.status.value in ("booked", "rescheduled"))
        if not appts:
            return
        aid = appts[i % len(appts)]
        try:
            self.client.execute("check_in", {"appointment_id": aid})
        except CommandRefused:
            return  # cancelled, too early, day closed …: nothing changed
        self.checked_in.add(aid)
        event("a citizen checked in")

    @rule(i=st.integers(0, 50))
    def another_citizen_checks_in(self, i: int) -> None:
        self.check_in(i)

    @precondition(lambda self: not self.closed and len(self.seen) >= 6)
    @rule()
    def close_day(self) -> None:
        try:
            self.client.execute("issue", {"service": "SB-002"})  # the day is open …
            self.client.execute("close_day", {})  # … and closed: booked ones are no-shows
        except CommandRefused:
            return  # no business day open yet (no ticket today)
        self.closed = True
        event("the hall closed the day")

    # --- what always holds --------------------------------------------------------------

    def hall_appointments(self) -> dict[str, tuple[int, str]]:
        """id → (version, status) from the hall's table (a closed day leaves memory)."""
        self.hall.flush_tables()  # the hub's tick does it every second
        rows = self.hall.store.conn.execute("SELECT id, version, status FROM appointments")
        return {r[0]: (r[1], r[2]) for r in rows}

    @invariant()
    def a_check_in_is_never_undone(self) -> None:
        appts = self.hall_appointments()
        for aid in self.checked_in:
            assert appts[aid][1] == "checked_in"

    @invariant()
    def nothing_applied_twice(self) -> None:
        got = Counter(
            (e.data["id"], e.data["version"])
            for e in self.hall.store.iter_events()
            if e.type == "appointment.received"
        )
        assert not got or max(got.values()) == 1

    def heal(self) -> None:
        self.request_sync(self.applier.cursor, force=True)
        for _ in range(20):
            while self.to_city:
                self.city_gets()
            while self.to_hall:
                self.deliver_next()
            self.events_up()
            while self.to_hall:
                self.deliver_next()
            if not self.to_city and self.acked == self.outbox.max_seq():
                return
        raise AssertionError("the link did not settle")

    def teardown(self) -> None:
        try:
            self.heal()
            hall = self.hall_appointments()
            city = {a["id"]: a for a in self.city.store.appointments(HALL_ID)}
            assert self.applier.cursor == self.city.store.hall(HALL_ID)["cursor"]
            for aid, a in city.items():
                h = hall.get(aid)
                if aid in self.checked_in:
                    assert a["settled"] == "checked_in"  # the city settles it
                    continue
                if self.closed:
                    assert h is None or h[0] <= a["version"]
                    if h is not None and h[1] == "no_show":
                        assert a["settled"] == "no_show"
                    continue
                assert h == (a["version"], a["status"])
            assert set(hall) <= set(city)
        finally:
            self.outbox.close()
            self.state.close()
            self.city.store.close()
            self.hall.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


AppointmentRaces.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAppointmentRaces = AppointmentRaces.TestCase
