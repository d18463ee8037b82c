"""The demo hook: a city around a running hall, on the in-process hall bus."""

from __future__ import annotations

from pathlib import Path

from appliance.local import LocalHall
from appliance.sim.city import run_with_city_peer
from tests.sync.citykit import DAY, hall_clock, wait_until


def test_run_with_city_peer_books_and_syncs(tmp_path: Path) -> None:
    with (
        LocalHall(tmp_path / "hall", transport="inproc", clock=hall_clock()) as hall,
        run_with_city_peer(hall, tmp_path / "city", appointments=4, day=DAY) as city,
    ):
        appts = hall.store.state.appointments
        wait_until(lambda: len(appts) == 4, 15)
        _, client = hall.connect("kiosk-demo", "kiosk")
        client.execute("check_in", {"appointment_id": city.booked[0]["id"]})
        assert city.wait_synced(15)
        wait_until(lambda: city.summary()["appointments_checked_in"] == 1)
        s = city.summary()
        assert s["appointments_booked"] == 4 and s["hall_online"] is True
