"""What the city and the devices tell the hall: catalog, counters, device states."""

from __future__ import annotations

from hall.core import commands as c
from hall.core import events as ev
from hall.core import results as rs
from hall.core.catalog import CatalogError, catalog_to_wire, parse_catalog, parse_counter_specs
from hall.core.decide.base import Decision
from hall.core.errors import Refused
from hall.core.state import HallState
from hall.core.timekeeping import Reading


def apply_catalog(state: HallState, cmd: c.ApplyCatalog, now: Reading) -> Decision:
    try:
        cat = parse_catalog({"version": cmd.version, "services": cmd.services})
    except CatalogError as exc:
        raise Refused(
            "bad_catalog", f"catalog version {cmd.version} is not valid: {exc}", ""
        ) from None
    if cat.version <= state.catalog.version and state.catalog.services:
        return Decision([], rs.CatalogResult(False, state.catalog.version))
    return Decision(
        [ev.CatalogApplied(version=cat.version, services=catalog_to_wire(cat))],
        rs.CatalogResult(True, cat.version),
    )


def configure_counters(state: HallState, cmd: c.ConfigureCounters, now: Reading) -> Decision:
    try:
        specs = parse_counter_specs(cmd.counters)
    except CatalogError as exc:
        raise Refused("bad_counters", str(exc), "") from None
    current = tuple(x.spec for x in state.counters.values())
    if current == specs:
        return Decision([], rs.CountersResult(False))
    for cid, cnt in state.counters.items():
        if cid not in {s.id for s in specs} and (cnt.staff or cnt.current or cnt.held):
            raise Refused("counter_in_use", f"counter {cid} is in use and cannot be removed", "")
    return Decision(
        [ev.CountersConfigured(counters=list(cmd.counters))],
        rs.CountersResult(True, len(specs)),
    )


def report_device(state: HallState, cmd: c.ReportDevice, now: Reading) -> Decision:
    prev = state.devices.get(cmd.device)
    if prev is not None and prev.ok == cmd.ok and prev.state == cmd.state:
        return Decision([], rs.DeviceResult(cmd.device, False))
    event: ev.Payload
    if cmd.ok:
        # A first report that is healthy is recorded, not a recovery from anything.
        event = ev.DeviceRecovered(
            cmd.device, cmd.kind, True, cmd.state, cmd.detail, first=True if prev is None else None
        )
    else:
        event = ev.DeviceFault(cmd.device, cmd.kind, False, cmd.state, cmd.detail)
    return Decision([event], rs.DeviceResult(cmd.device, True))


def record_denial(state: HallState, cmd: c.RecordDenial, now: Reading) -> Decision:
    return Decision(
        [ev.AccessDenied(cmd.device[:64], cmd.command[:40], cmd.reason[:80], cmd.count)]
    )
