"""QR tokens against bookings that came down the city link (contract v1.1: a token never
overrides the booking the hall holds; one booking, one ticket), on real brokers with the
product's city peer."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance.local import LocalHall
from hall import tokens
from hall.core import commands as c
from hall.core.errors import Refused
from hall.hubapi.client import CommandRefused
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import Pki
from tests.sync.citykit import DAY, HALL_ID, start_sync, wait_until, write_sync_config

KEY = Ed25519PrivateKey.generate()
EXP = "2026-11-27T23:59:00+08:00"


def claims(appt: dict[str, Any], **over: Any) -> dict[str, Any]:
    keys = ("id", "service", "date", "slot_start", "slot_end")
    return {**{k: appt[k] for k in keys}, "hall": HALL_ID, "exp": EXP, **over}


def check_in(hall: LocalHall, token: dict[str, Any]) -> str:
    """What the hub does with a verified token: the core's check_in with its claims."""
    with hall.hub._lock:
        out = hall.store.execute(c.CheckIn(token=token))
    hall.hub.refresh()
    return str(out.result["number"])


def refusal(hall: LocalHall, token: dict[str, Any]) -> str:
    with pytest.raises(Refused) as r:
        check_in(hall, token)
    return r.value.code


def test_a_token_never_overrides_the_booking_the_hall_holds(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    appts = hall.store.state.appointments
    day = DAY.isoformat()
    try:
        cancelled = peer.core.book(HALL_ID, "SB-001", day, "09:30", "10:00")
        peer.core.cancel(cancelled["id"])
        moved = peer.core.book(HALL_ID, "SB-001", day, "09:30", "10:00")
        peer.core.reschedule(moved["id"], date="2026-11-28", slot_start="09:30", slot_end="10:00")
        kept = peer.core.book(HALL_ID, "YB-001", day, "09:30", "10:00")
        wait_until(
            lambda: (
                all(a["id"] in appts for a in (cancelled, moved, kept))
                and appts[cancelled["id"]].version == 2
                and appts[moved["id"]].version == 2
            )
        )
        # the tokens the citizens were sent with the first versions
        assert refusal(hall, claims(cancelled)) == "appointment_cancelled"
        assert refusal(hall, claims(moved)) == "appointment_moved"
        number = check_in(hall, claims(kept))
        assert refusal(hall, claims(kept)) == "already_checked_in"  # one booking, one ticket
        # a booking the hall has not received yet: checked in on its token and reported up
        unseen = {"id": "AP20261127999999", "service": "SB-001", "date": day}
        unseen |= {"slot_start": "09:30", "slot_end": "10:00"}
        check_in(hall, claims(unseen))
        assert peer.wait_acked(HALL_ID, len(hall.events()), 10)
        up = [e["data"] for e in peer.store.events(HALL_ID) if e["type"].startswith("appoint")]
        received = [d for d in up if d.get("id") == unseen["id"]]
        assert received and received[0]["origin"] == "token"
        settled = wait_until(lambda: (a := peer.store.appointment(kept["id"])) and a["settled"])
        assert settled == "checked_in" and peer.store.appointment(kept["id"])["ticket"] == number
    finally:
        sync.stop()


def test_the_kiosk_checks_in_with_the_qr_text_through_the_hub(
    hall: LocalHall, city_broker: CityBroker, pki: Pki, peer: CityPeer
) -> None:
    hall.hub.city_key = KEY.public_key()
    sync = start_sync(hall, write_sync_config(hall, city_broker, pki))
    _, kiosk = hall.connect("kiosk-qr", "kiosk")
    appts = hall.store.state.appointments
    try:
        kept = peer.core.book(HALL_ID, "YB-001", DAY.isoformat(), "09:30", "10:00")
        wait_until(lambda: kept["id"] in appts)
        text = tokens.sign_token(claims(kept), KEY)
        first = kiosk.execute("check_in", {"token": text})
        with pytest.raises(CommandRefused) as r:
            kiosk.execute("check_in", {"token": text})
        assert r.value.code == "already_checked_in" and first["number"]
    finally:
        sync.stop()
