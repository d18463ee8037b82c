"""`hall doctor`'s checks, in the order they are shown (each module registers its own)."""

from appliance.ops.checks import bussec, kiosk, media, network, pads, printer, store, system
from appliance.ops.checks.base import REGISTRY, Context, Options, Result, can_open, run_checks

ORDER = (
    "config",
    "disk",
    "database",
    "clock",
    "hall-bus",
    "bus-security",
    "city",
    "printer",
    "ticket-url",
    "scanner",
    "pads",
    "speech",
    "audio",
    "services",
    "reported-devices",
)
REGISTRY.sort(key=lambda c: ORDER.index(c.name) if c.name in ORDER else len(ORDER))

__all__ = [
    "ORDER",
    "REGISTRY",
    "Context",
    "Options",
    "Result",
    "bussec",
    "can_open",
    "kiosk",
    "media",
    "network",
    "pads",
    "printer",
    "run_checks",
    "store",
    "system",
]
