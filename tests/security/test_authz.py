"""Every command from a device outside its role is refused by the hub and recorded (who tried
what, no personal data); appointment tokens are checked at the hub. Through the broker, with
each device logged in as itself: the device the hub sees is the one the broker let in."""

from __future__ import annotations

from typing import Any

import pytest

from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused
from tests.conftest import DAY
from tests.security.site import Site, eventually

TICKET = "0" * 24
CATALOG_99 = {"version": 99, "services": []}  # the issue's: no hours, every issue refused

FORBIDDEN: list[tuple[str, str, dict[str, Any]]] = [
    ("kiosk-1", "call_next", {"counter": "1"}),
    ("kiosk-1", "sign_in", {"counter": "1", "staff": "0107"}),
    ("kiosk-1", "finish", {"counter": "1"}),
    ("kiosk-1", "evaluate", {"counter": "1", "rating": 5}),
    ("kiosk-1", "close_day", {}),
    ("kiosk-1", "apply_catalog", CATALOG_99),
    ("display-1", "issue", {"service": "SB-001"}),
    ("display-1", "void", {"ticket_id": TICKET}),
    ("display-1", "call_next", {"counter": "1"}),
    ("display-1", "close_day", {}),
    ("pads-7", "call_next", {"counter": "9"}),  # not one of its counters
    ("pads-7", "sign_in", {"counter": "3", "staff": "0301"}),
    ("pads-7", "issue", {"service": "SB-001"}),
    ("pads-7", "close_day", {}),
    ("pads-7", "apply_catalog", CATALOG_99),
    ("sync", "call_next", {"counter": "1"}),
    ("sync", "sign_in", {"counter": "1", "staff": "0107"}),
    ("sync", "void", {"ticket_id": TICKET}),
]


@pytest.fixture(scope="module")
def pads_line(site: Site) -> str:
    site.enroll("pads-7", "pads", "--counters", "1,2")
    return "pads-7"


def denials(site: Site) -> list[dict[str, Any]]:
    assert site.store is not None
    return [e.data for e in site.store.events_since(0) if e.type == "access.denied"]


@pytest.mark.parametrize(
    ("device", "command", "args"), FORBIDDEN, ids=[f"{d}-{c}" for d, c, _a in FORBIDDEN]
)
def test_a_command_outside_the_role_is_refused_and_recorded(
    site: Site, pads_line: str, device: str, command: str, args: dict[str, Any]
) -> None:
    assert site.store is not None
    seq = site.store.state.last_seq
    client = site.client(device)
    with pytest.raises(CommandRefused) as info:
        client.execute(command, args)
    assert info.value.code == p.FORBIDDEN
    new = [e for e in site.store.events_since(seq) if e.type != "access.denied"]
    assert new == []  # nothing changed but the record
    recorded = [d for d in denials(site) if (d["device"], d["command"]) == (device, command)]
    assert recorded and set(recorded[-1]) == {"device", "command", "reason", "count"}


def test_the_roles_own_jobs_still_work(site: Site, pads_line: str) -> None:
    kiosk = site.client("kiosk-1")
    ticket = kiosk.execute("issue", {"service": "SB-001"})
    pads = site.client(pads_line)
    pads.execute("sign_in", {"counter": "1", "staff": "0107"})
    called = pads.execute("call_next", {"counter": "1"})
    assert called["number"]
    assert ticket["number"]


def test_a_kiosk_may_void_only_a_ticket_still_printing(site: Site) -> None:
    tool = site.client("tool-local")
    issued = tool.execute("issue", {"service": "YB-002"})
    kiosk = site.client("kiosk-1")
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("void", {"ticket_id": issued["ticket_id"]})
    assert info.value.code == p.FORBIDDEN and info.value.hint == "kiosk_may_void_only_printing"
    assert site.store is not None
    assert site.store.state.tickets[issued["ticket_id"]].state.value == "waiting"


def test_a_denial_names_the_device_and_holds_no_personal_data(site: Site) -> None:
    display = site.client("display-1")
    with pytest.raises(CommandRefused):
        display.execute("sign_in", {"counter": "2", "staff": "0999"})
    last = denials(site)[-1]
    assert last == {
        "device": "display-1",
        "command": "sign_in",
        "reason": "display_may_not_sign_in",
        "count": 1,
    }  # who tried what; not the staff number it tried


def _claims(appointment: str) -> dict[str, str]:
    return {
        "id": appointment,
        "hall": "410411-ZH01",
        "service": "SB-001",
        "date": DAY.isoformat(),
        "slot_start": "09:30",
        "slot_end": "10:00",
        "exp": "2026-11-27T23:59:59+08:00",
    }


def _booked(site: Site, appointment: str, code: str) -> None:
    sync = site.client("sync")
    change = {
        "id": appointment,
        "version": 1,
        "status": "booked",
        "service": "SB-001",
        "date": DAY.isoformat(),
        "slot_start": "09:30",
        "slot_end": "10:00",
        "code": code,
        "citizen": {"name_masked": "张*", "id_hash": "ab" * 32},
        "priority": "normal",
        "channel": "mini_program",
    }
    assert sync.execute("apply_appointment", {"change": change})["applied"] is True


def test_a_forged_token_is_refused_at_the_hub(site: Site) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _booked(site, "AP-F1", "480001")
    kiosk = site.client("kiosk-1")
    forged = site.token(_claims("AP-F1"), Ed25519PrivateKey.generate())
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("check_in", {"token": forged})
    assert info.value.code == "token_invalid"
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("check_in", {"token": _claims("AP-F1")})  # the claims, unsigned
    assert info.value.code == p.INVALID_REQUEST
    assert site.store is not None
    assert site.store.state.appointments["AP-F1"].ticket_id is None  # type: ignore[index]


def test_a_token_whose_claims_were_changed_is_refused(site: Site) -> None:
    _booked(site, "AP-F2", "480002")
    good = site.token(_claims("AP-F2"))
    head, body, sig = good.split(".")
    import base64
    import json

    raw = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw["slot_start"] = "08:00"  # jump the queue
    changed = base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()
    kiosk = site.client("kiosk-1")
    with pytest.raises(CommandRefused) as info:
        kiosk.execute("check_in", {"token": f"{head}.{changed}.{sig}"})
    assert info.value.code == "token_invalid"
    assert kiosk.execute("check_in", {"token": good})["appointment_id"] == "AP-F2"


def test_an_unknown_device_can_do_nothing_even_with_a_password(site: Site) -> None:
    """Enrolled on the broker by hand but not in the hub's registry: the hub refuses it."""
    from hall.devices import Device

    site.enroll("kiosk-x", "kiosk")
    assert site.hub is not None
    hub = site.hub
    eventually(lambda: hub.devices.get("kiosk-x"))  # the hub read the registry file again
    site.hub.devices.replace(  # as if the registry file lost the entry
        [d for d in site.hub.devices.all() if d.id != "kiosk-x"]
    )
    assert site.hub.devices.get("kiosk-x") is None
    client = site.client("kiosk-x")
    with pytest.raises(CommandRefused) as info:
        client.execute("issue", {"service": "SB-001"})
    assert info.value.code == p.FORBIDDEN and info.value.hint == "unknown_device"
    site.hub.devices.add(Device("kiosk-x", "kiosk"))
