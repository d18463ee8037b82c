"""Rule 7: a hall is never fooled by its clock. Each scenario runs the real store and hub
(LocalHall) with an injected wall clock and kernel NTP status (FixedClock.synced)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from appliance.local import LocalHall
from hall.core import commands as c
from hall.core.timekeeping import FixedClock, at_local
from hall.hubapi.client import CommandRefused
from hall.store.store import HallStore
from tests.conftest import TZ, at

BOOT_1970 = 86400.0 * 3  # a board without a battery clock, three days after the epoch


def tickets(store: HallStore) -> list[tuple[str, str, str]]:
    return [
        (e.data["number"], e.data["day"], e.data.get("status", ""))
        for e in store.events_since(0)
        if e.type == "ticket.issued"
    ]


def refused_code(client: object, cmd: c.Command) -> str:
    with pytest.raises(CommandRefused) as info:
        client.run(cmd)  # type: ignore[attr-defined]
    return info.value.code


def test_a_new_box_at_1970_refuses_tickets_until_ntp_then_numbers_once(tmp_path: Path) -> None:
    clock = FixedClock(BOOT_1970, synced=False)
    with LocalHall(tmp_path, clock=clock) as hall:  # init: catalog and counters at "1970"
        assert hall.store.state.last_ts > 0  # setup recorded events: the old guard's blind spot
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        assert refused_code(kiosk, c.IssueTicket("SB-001")) == "clock_not_set"
        _pbus, pad = hall.connect("pads-1", "pads")
        assert refused_code(pad, c.SignIn("1", "1024")) == "clock_not_set"  # it opens a day
        clock.t, clock.synced = at("09:30"), True  # NTP answers
        pad.run(c.SignIn("1", "1024"))
        first = kiosk.run(c.IssueTicket("SB-001"))
        second = kiosk.run(c.IssueTicket("SB-001"))
        assert (first.number, second.number) == ("A001", "A002")
        assert first.day == "2026-11-27"
        assert not [e for e in hall.store.events_since(0) if e.type == "ticket.cancelled"]
        assert tickets(hall.store) == [
            ("A001", "2026-11-27", "waiting"),
            ("A002", "2026-11-27", "waiting"),
        ]


def test_a_year_ahead_without_ntp_moves_nothing_and_is_gone_after_the_fix(
    tmp_path: Path,
) -> None:
    clock = FixedClock(at("09:30"), synced=False)
    folder = tmp_path / "hall"
    with LocalHall(folder, clock=clock) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        _pbus, pad = hall.connect("pads-1", "pads")
        pad.run(c.SignIn("1", "1024"))
        kiosk.run(c.IssueTicket("SB-001"))
        kiosk.run(c.IssueTicket("SB-001"))
        clock.jump_wall(365 * 86400.0)  # a wrong clock: one year ahead, NTP unsynchronised
        clock.advance(60)
        third = kiosk.run(c.IssueTicket("SB-001"))  # the open day goes on
        assert (third.number, third.day) == ("A003", "2026-11-27")
        called = pad.run(c.CallNext("1"))
        assert called.number == "A001"
        events = hall.store.events_since(0)
        assert not [e for e in events if e.type in ("day.closed", "ticket.cancelled")]
        assert all(e.at.startswith("2026-11-27") for e in events)
        clock.jump_wall(-365 * 86400.0)  # the technician fixes the clock
    # … and the box reboots: the hall is on 2026-11-27, not in 2027
    clock.advance(120)
    with LocalHall(folder, clock=clock, config_path=folder / "config" / "county-hall.toml") as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        fourth = kiosk.run(c.IssueTicket("SB-001"))
        assert (fourth.number, fourth.day) == ("A004", "2026-11-27")
        assert hall.store.state.last_ts < at("23:59")


def test_a_long_holiday_on_the_battery_clock_opens_the_next_day(tmp_path: Path) -> None:
    """Offline first: 8 days closed (春节) with no network, the RTC right: the hall opens."""
    clock = FixedClock(at("16:00"), synced=False)
    with LocalHall(tmp_path, clock=clock) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        kiosk.run(c.IssueTicket("SB-001"))
        clock.t = at_local(date(2026, 12, 7), "09:30", TZ)  # Monday after a long closure
        r = kiosk.run(c.IssueTicket("SB-001"))
        assert (r.number, r.day) == ("A001", "2026-12-07")
        assert [e.data["day"] for e in hall.store.events_since(0) if e.type == "day.closed"] == [
            "2026-11-27"
        ]


def test_a_synchronised_clock_is_believed_also_after_a_long_gap(tmp_path: Path) -> None:
    clock = FixedClock(at("16:00"), synced=False)
    with LocalHall(tmp_path, clock=clock) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        kiosk.run(c.IssueTicket("SB-001"))
        clock.t = at_local(date(2027, 3, 1), "09:30", TZ)  # three months on
        # the open day goes on (no rollover on an untrusted reading) …
        on = kiosk.run(c.IssueTicket("SB-001"))
        assert (on.number, on.day) == ("A002", "2026-11-27")
        assert not [e for e in hall.store.events_since(0) if e.type == "day.closed"]
        clock.synced = True  # … until NTP confirms the date: then the day closes
        r = kiosk.run(c.IssueTicket("SB-001"))
        assert r.day == "2027-03-01"


def test_a_reboot_at_1970_with_a_day_open_stops_issuing_until_the_clock_is_set(
    tmp_path: Path,
) -> None:
    clock = FixedClock(at("16:50"), synced=False)
    folder = tmp_path / "hall"
    with LocalHall(folder, clock=clock) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        kiosk.run(c.IssueTicket("SB-001"))  # the day stays open overnight
    clock.t, clock.mono = BOOT_1970, 5.0  # next morning: no battery, no network yet
    cfg = folder / "config" / "county-hall.toml"
    with LocalHall(folder, clock=clock, config_path=cfg) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        with pytest.raises(CommandRefused) as r:
            kiosk.run(c.IssueTicket("SB-001"))
        assert r.value.code == "clock_not_set"  # not a ticket "yesterday at 16:50"
        clock.t, clock.synced = at_local(date(2026, 11, 30), "09:00", TZ), True
        monday = kiosk.run(c.IssueTicket("SB-001"))
        assert (monday.number, monday.day) == ("A001", "2026-11-30")


def test_a_hall_pushed_into_the_future_is_brought_back_by_the_technician(
    tmp_path: Path,
) -> None:
    """NTP itself was wrong for a while (synchronised to a bad server): the hall moved a year
    ahead. `hall clock rewind` (RewindClock) brings it back; nothing is numbered twice."""
    from tests.core.test_rules import booking

    clock = FixedClock(at("09:30"), synced=True)
    with LocalHall(tmp_path, clock=clock) as hall:
        _bus, kiosk = hall.connect("kiosk-1", "kiosk")
        _sbus, sync = hall.connect("sync", "sync")
        for _ in range(3):
            kiosk.run(c.IssueTicket("SB-001"))
        clock.t += 364 * 86400.0  # 52 weeks on, believed: NTP says so
        ahead = kiosk.run(c.IssueTicket("SB-001"))
        assert (ahead.number, ahead.day) == ("A001", "2027-11-26")
        clock.t -= 364 * 86400.0  # the clock is right again …
        clock.advance(60)
        pushed = sync.run(booking("AP1", slot="10:00"))  # today's booking, 2026-11-27
        assert (pushed.applied, pushed.reason) == (False, "day_closed")  # the broken state
        store = hall.store  # … and the technician rewinds (the hub stopped: here, idle)
        with hall.hub._lock:
            out = store.execute(
                c.RewindClock(to_ts=clock.t, serials={"A": 3}, issued={"SB-001": 3})
            )
        assert out.result["closed_day"] == "2027-11-26" and out.result["day"] == "2026-11-27"
        assert sync.run(booking("AP1", slot="10:00")).applied  # the city's page, again
        checked = kiosk.run(c.CheckIn(appointment_id="AP1"))
        walk_in = kiosk.run(c.IssueTicket("SB-001"))
        assert (checked.day, checked.number, walk_in.number) == ("2026-11-27", "A004", "A005")
        events = store.events_since(0)
        rewound = [e for e in events if e.type == "clock.rewound"]
        assert len(rewound) == 1 and rewound[0].at.startswith("2026-11-27")
        assert events[-1].at.startswith("2026-11-27")
