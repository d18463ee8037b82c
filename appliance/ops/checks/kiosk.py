"""The kiosk's link to the city's phone pages: the URL its tickets' QR code encodes."""

from __future__ import annotations

from appliance.ops.checks.base import Context, Result, check
from kiosk.settings import NO_TICKET_URL, TICKET_URL_FIX

FIX = f"{TICKET_URL_FIX}, and set [kiosk] ticket_url; until then tickets print without one"


@check("ticket-url", roles=("kiosk",))
def ticket_url(ctx: Context) -> list[Result]:
    """A warning, not a failure: tickets print and are called without it (contract v1.1: a
    hall never prints a QR code to an address it made up, and prints none without one)."""
    assert ctx.cfg is not None
    url = ctx.cfg.kiosk.ticket_url
    if not url:
        return [Result("ticket-url", "warn", NO_TICKET_URL, FIX)]
    return [Result("ticket-url", "ok", f"tickets' QR code: {url}", "", {"ticket_url": url})]
