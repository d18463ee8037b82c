"""The hall bus's access rules for Mosquitto, made from the device registry: least privilege.

Each device logs in with its id as username and client id (pinned by the broker), and may:
- publish requests only under `hall/v1/cmd/<its id>/…` (so the hub knows who asks: the
  topic names the device, and the broker lets nobody else publish there), and its presence
  only on `hall/v1/presence/<its id>`;
- read only its own replies (`hall/v1/reply/<its id>`) and the state its role needs.
Only the hub reads requests and presence, and publishes replies, the hall's state and the
calls and the tracked tickets' progress (read by sync only); only sync publishes
`state/nearby`. A device not listed (never enrolled, or revoked)
has no line here and no password: the broker refuses it.

Every device also has a read-only probe identity, `<id>.doctor`, with the same password:
`hall doctor` on its box uses it to see whether the hall bus and the hub are up without
taking the device's own session (client ids are pinned to usernames).

Mosquitto checks every publish and every delivery against these rules (a subscription it
does not allow is granted and then receives nothing), and re-reads them on SIGHUP.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from hall.bus.topics import REPLY_PREFIX, reply_topic
from hall.devices import Device
from hall.hubapi import protocol as p

HUB_ID: Final = "hub"
PROBE_SUFFIX: Final = ".doctor"

STATE_ALL: Final = p.PREFIX + "state/#"
PRESENCE_ALL: Final = p.PRESENCE_PATTERN
HUB_STATE: Final = (p.BOARD, p.CATALOG, p.ROLES, p.DEVICES, p.COUNTER_PATTERN)

Rule = tuple[str, str]  # (read | write, topic filter)


def probe_user(device_id: str) -> str:
    """The read-only identity `hall doctor` uses on the box of `device_id`."""
    return device_id + PROBE_SUFFIX


def hub_rules() -> list[Rule]:
    return [
        ("read", p.CMD_PATTERN),
        ("write", REPLY_PREFIX + "+"),
        *(("write", topic) for topic in HUB_STATE),
        ("write", p.CALL_EVENT),
        ("write", p.PROGRESS_EVENT),
        ("read", PRESENCE_ALL),
        ("write", p.presence_topic(HUB_ID)),
    ]


def device_rules(device: Device) -> list[Rule]:
    """What one (not revoked) device may publish and read."""
    if device.role == "hub":
        return hub_rules()
    own = [
        ("write", f"{p.CMD_PREFIX}{device.id}/+"),
        ("write", p.presence_topic(device.id)),
        ("read", reply_topic(device.id)),
    ]
    if device.role == "kiosk":
        return [*own, ("read", STATE_ALL)]
    if device.role == "display":
        return [*own, ("read", STATE_ALL), ("read", p.CALL_EVENT)]
    if device.role == "pads":
        counters = [("read", p.counter_topic(c)) for c in sorted(device.counters)]
        return [*own, ("read", p.CATALOG), ("read", p.BOARD), *counters]
    if device.role == "sync":
        return [*own, ("read", STATE_ALL), ("write", p.NEARBY), ("read", p.PROGRESS_EVENT)]
    if device.role == "tool":
        return [*own, ("read", STATE_ALL), ("read", PRESENCE_ALL), ("read", p.CALL_EVENT)]
    raise ValueError(f"device {device.id}: unknown role {device.role!r}")


def probe_rules() -> list[Rule]:
    return [("read", PRESENCE_ALL), ("read", p.ROLES)]


def acl_text(devices: Iterable[Device]) -> str:
    """Mosquitto's ACL file for these devices (revoked ones get nothing), sorted by id."""
    lines = [
        "# The hall bus's access rules: written by `hall device` from the device registry",
        "# (hall/hubapi/acl.py). Do not edit: the next `hall device …` writes it again.",
    ]
    for d in sorted(devices, key=lambda d: d.id):
        if d.revoked:
            continue
        for user, rules in ((d.id, device_rules(d)), (probe_user(d.id), probe_rules())):
            lines += ["", f"user {user}"]
            lines += [f"topic {access} {topic}" for access, topic in rules]
    return "\n".join(lines) + "\n"


def topics(devices: Iterable[Device]) -> set[str]:
    """Every topic filter the ACL names (the docs and schemas must know each)."""
    out = {t for _a, t in probe_rules()}
    for d in devices:
        out |= {t for _a, t in device_rules(d)}
    return out
