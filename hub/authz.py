"""Who may ask the hub for what: every request is checked against its sender's role.

The sender is the device in the request's topic (`hall/v1/cmd/<device>/<command>`), which
the broker's ACL pins to the MQTT identity (`pattern write hall/v1/cmd/%u/#`, client id =
username), so a device cannot speak for another. Least privilege:

- kiosk: issue, check_in, confirm_printed, void (a ticket still printing), report_device
  (its own devices), mark_arrived (by a scan or the number and phone tail);
- pads: the counter actions and evaluate (its counters), report_device (its own devices);
- display: report_device (its own devices);
- sync: apply_appointment, apply_catalog, close_day, report_device (its own devices), and
  云叫号's issue_remote, watch and mark_arrived (by the city's geofence);
- tool: everything (the technician's `hall queue …`).

Anything else, and any device the registry does not know or has revoked, is refused with
`forbidden`; the hub records who tried what (`access.denied`) and logs it with the device id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from hall.core.model import TicketState
from hall.core.state import HallState
from hall.devices import Device

COUNTER_ACTIONS: Final = frozenset(
    {
        "sign_in",
        "sign_out",
        "pause",
        "resume",
        "call_next",
        "call_number",
        "recall",
        "skip",
        "start",
        "finish",
        "hold",
        "call_back",
        "transfer",
        "evaluate",
        "reinstate",
    }
)

ALLOWED: Final[dict[str, frozenset[str]]] = {
    "kiosk": frozenset(
        {"issue", "check_in", "confirm_printed", "void", "report_device", "mark_arrived"}
    ),
    "pads": COUNTER_ACTIONS | {"report_device"},
    "display": frozenset({"report_device"}),
    "sync": frozenset(
        {
            "apply_appointment",
            "apply_catalog",
            "close_day",
            "report_device",
            "issue_remote",
            "mark_arrived",
            "watch",
        }
    ),
    "hub": frozenset(),
}


@dataclass(frozen=True, slots=True)
class Denied:
    reason: str  # for the log and the access.denied event: no personal data
    message: str = "此设备无权执行该操作"  # for the person at the device


def check(
    device: Device | None, command: str, args: dict[str, Any], state: HallState
) -> Denied | None:
    """None when `device` may run `command` with `args`, else why not."""
    if device is None:
        return Denied("unknown_device")
    if device.role == "tool":
        return None
    if command not in ALLOWED.get(device.role, frozenset()):
        return Denied(f"{device.role}_may_not_{command}")
    if command == "report_device":
        name = str(args.get("device", ""))
        if name != device.id and not name.startswith(device.id + "/"):
            return Denied("not_its_device")
    if device.role == "pads" and command in COUNTER_ACTIONS:
        counter = args.get("counter")
        if counter is None or str(counter) not in device.counters:
            return Denied("not_its_counter", "此呼叫器不属于该窗口")
    if command == "mark_arrived":
        allowed = {"kiosk": ("scan", "kiosk"), "sync": ("geofence",)}[device.role]
        if args.get("how") not in allowed:
            return Denied(f"{device.role}_may_not_mark_arrived_by_{args.get('how')}"[:80])
    if device.role == "kiosk" and command == "void":
        t = state.tickets.get(str(args.get("ticket_id", "")))  # type: ignore[call-overload]
        if t is not None and t.state is not TicketState.PRINTING:
            return Denied("kiosk_may_void_only_printing")
    return None
