"""`hall doctor` on a kiosk box: the URL the tickets' QR code encodes comes from the city."""

from __future__ import annotations

from appliance.ops import checks
from appliance.ops.checks.base import Context, Options
from tests.ops.conftest import SimHall

URL = "https://m.city.example/q/{hall_id}/{ticket_id}"


def ticket_url(hall: SimHall, **options: object) -> checks.Result:
    ctx = Context(hall.config, Options(**options))  # type: ignore[arg-type]
    ctx.load()
    (result,) = checks.run_checks(ctx, ["ticket-url"])
    return result


def test_missing_ticket_url_is_a_warning_with_what_to_do(sim_hall: SimHall) -> None:
    r = ticket_url(sim_hall)
    assert r.status == "warn"  # tickets still print and are called: the hall can open
    assert "ticket_url is empty" in r.summary and "no QR code" in r.summary
    assert "ask the city for ticket_url (provisioning bundle or down/config)" in r.fix
    sim_hall.set_config("[kiosk]\n", f'[kiosk]\nticket_url = "{URL}"\n')
    r = ticket_url(sim_hall)
    assert (r.status, r.details) == ("ok", {"ticket_url": URL})


def test_only_on_a_box_with_the_kiosk(sim_hall: SimHall) -> None:
    r = ticket_url(sim_hall, roles=("hub", "display"))
    assert r.status == "skip" and "not a role" in r.summary
