"""The hub authorises every request by its sender's role (hub/authz.py): the device in the
topic, which the broker pins to the MQTT identity. Through the real hub, in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance.local import LocalHall
from hall import tokens
from hall.core import commands as c
from hall.core.timekeeping import FixedClock
from hall.devices import Device
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused, HallClient
from tests.conftest import DAY, at


@pytest.fixture
def hall(tmp_path: Path) -> LocalHall:
    with LocalHall(tmp_path, clock=FixedClock(at("09:30"))) as h:
        yield h  # type: ignore[misc]


def wait_until(ok: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return True
        time.sleep(0.01)
    return ok()


def refused(client: HallClient, cmd: c.Command) -> CommandRefused:
    with pytest.raises(CommandRefused) as info:
        client.run(cmd)
    return info.value


def denials(hall: LocalHall) -> list[dict[str, object]]:
    return [e.data for e in hall.store.events_since(0) if e.type == "access.denied"]


def test_a_kiosk_may_not_call_or_close_the_day_and_is_recorded_once(hall: LocalHall) -> None:
    _b, kiosk = hall.connect("kiosk-1", "kiosk")
    assert refused(kiosk, c.CallNext("1")).code == p.FORBIDDEN
    assert refused(kiosk, c.CallNext("1")).code == p.FORBIDDEN  # again within the minute
    assert refused(kiosk, c.CloseDay()).code == p.FORBIDDEN
    assert denials(hall) == [
        {
            "device": "kiosk-1",
            "command": "call_next",
            "reason": "kiosk_may_not_call_next",
            "count": 1,
        },
        {
            "device": "kiosk-1",
            "command": "close_day",
            "reason": "kiosk_may_not_close_day",
            "count": 1,
        },
    ]
    assert kiosk.run(c.IssueTicket("SB-001")).number == "A001"  # its own job still works


def test_a_pad_line_acts_only_for_its_counters(hall: LocalHall) -> None:
    bus = hall.bus("pads-2", "pads")
    hall.devices.add(Device("pads-2", "pads", frozenset({"2"})))  # bus() gave it all counters
    pad = HallClient(bus)
    assert pad.run(c.SignIn("2", "1024")).counter == "2"
    r = refused(pad, c.SignIn("1", "1025"))
    assert r.code == p.FORBIDDEN and r.message == "此呼叫器不属于该窗口"
    assert refused(pad, c.IssueTicket("SB-001")).code == p.FORBIDDEN


def test_devices_report_only_their_own_devices(hall: LocalHall) -> None:
    _b, display = hall.connect("display-1", "display")
    own = c.ReportDevice("display-1/audio", "audio", False, "not_installed")
    assert display.run(own).changed
    other = c.ReportDevice("kiosk-1/printer", "printer", False, "paper_out")
    assert refused(display, other).code == p.FORBIDDEN
    assert "kiosk-1/printer" not in hall.store.state.devices


def test_an_unknown_or_revoked_device_can_do_nothing(hall: LocalHall) -> None:
    bus = hall.bus("intruder", "kiosk")
    hall.devices.add(Device("intruder", "kiosk", revoked=True))
    assert refused(HallClient(bus), c.IssueTicket("SB-001")).code == p.FORBIDDEN
    assert denials(hall)[-1]["reason"] == "unknown_device"
    assert not [e for e in hall.store.events_since(0) if e.type == "ticket.issued"]


def test_the_hub_checks_tokens_itself(hall: LocalHall) -> None:
    _b, kiosk = hall.connect("kiosk-1", "kiosk")
    claims = {
        "id": "AP9",
        "hall": "410411-ZH01",
        "service": "SB-001",
        "date": DAY.isoformat(),
        "slot_start": "09:30",
        "slot_end": "10:00",
        "exp": "2026-11-27T23:59:59+08:00",
    }
    forged = tokens.sign_token(claims, Ed25519PrivateKey.generate())
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("check_in", {"token": forged})
    assert info.value.code == "token_invalid"
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("check_in", {"token": claims})  # bare claims: believed by nobody
    assert info.value.code == p.INVALID_REQUEST
    good = tokens.sign_token(claims, hall.city)
    assert kiosk.execute("check_in", {"token": good})["appointment_id"] == "AP9"


def test_keys_belong_to_their_device(hall: LocalHall) -> None:
    """Another device sending the same idempotency key gets its own answer, not the first's."""
    _b, k1 = hall.connect("kiosk-1", "kiosk")
    _b2, k2 = hall.connect("kiosk-2", "kiosk")
    first = k1.execute("issue", {"service": "SB-001"}, key="same")
    second = k2.execute("issue", {"service": "SB-001"}, key="same")
    assert (first["number"], second["number"]) == ("A001", "A002")


def test_remote_tickets_through_the_hub_with_progress(hall: LocalHall) -> None:
    """sync issues a phone's number, the hub publishes its progress live; the kiosk marks
    the arrival by the ticket's QR (the hub checks the token); nothing for a forged one."""
    from hall.bus.interface import Message

    seen: list[Message] = []
    hall.bus("spy", "tool").subscribe(p.PROGRESS_EVENT, seen.append)
    _s, sync = hall.connect("sync", "sync")
    _k, kiosk = hall.connect("kiosk-1", "kiosk")
    r = sync.run(c.IssueRemote(request_id="RT1", service="SB-001", phone_tail="5678"))

    def entries() -> list[dict[str, object]]:
        return [e for m in list(seen) for e in m.payload["tickets"]]

    assert wait_until(lambda: bool(entries()))
    assert entries()[-1]["ticket_id"] == r.ticket_id
    assert entries()[-1]["status"] == "waiting" and entries()[-1]["arrived"] is False
    claims = {"kind": "ticket", "ticket_id": r.ticket_id, "hall": "410411-ZH01"}
    claims |= {"date": DAY.isoformat(), "exp": "2026-11-27T23:59:59+08:00"}
    forged = tokens.sign_token(claims, Ed25519PrivateKey.generate())
    with pytest.raises(CommandRefused):
        kiosk.execute("mark_arrived", {"how": "scan", "token": forged})
    assert refused(kiosk, c.MarkArrived("geofence", ticket_id=r.ticket_id)).code == p.FORBIDDEN
    done = kiosk.execute(
        "mark_arrived", {"how": "scan", "token": tokens.sign_token(claims, hall.city)}
    )
    assert done["ticket_id"] == r.ticket_id
    assert wait_until(lambda: entries()[-1]["arrived"] is True)
