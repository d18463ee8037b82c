"""The counter pads: each bus's adapter present, a bus scan on request; USB keypads present."""

from __future__ import annotations

import os
from typing import Any

from appliance.ops.checks.base import Context, Result, check


def input_device_names(path: str = "/proc/bus/input/devices") -> list[str]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()  # noqa: SIM115
    except OSError:
        return []
    return [
        line.split("=", 1)[1].strip().strip('"')
        for line in text.splitlines()
        if line.startswith("N: Name=")
    ]


@check("pads", roles=("pads",))
def pads(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    section = ctx.cfg.pads
    if not section.buses and not section.keypads:
        return [
            Result(
                "pads",
                "warn",
                "no pad buses and no keypads in [pads]",
                "add [[pads.buses]] (see config/examples/) or take 'pads' off this box's roles",
            )
        ]
    results: list[Result] = []
    for bus in section.buses:
        results.extend(_bus(ctx, bus))
    names = None
    for kp in section.keypads:
        name = f"keypad {kp.name}"
        if kp.device:
            ok = os.path.exists(kp.device)
            where = kp.device
        else:
            names = names if names is not None else input_device_names()
            ok = any(kp.device_name in n for n in names)
            where = f"an input device named like '{kp.device_name}'"
        if ok:
            results.append(Result(name, "ok", f"present ({where}) for counter {kp.counter}"))
        else:
            results.append(
                Result(
                    name,
                    "warn",
                    f"not found: {where} (counter {kp.counter})",
                    "plug the keypad in; `ls /dev/input/by-id/` lists it",
                )
            )
    return results


def _bus(ctx: Context, bus: Any) -> list[Result]:
    from counter_pad.port import PortGone, SerialPort

    name = f"pad bus {bus.name}"
    configured = {d.address: d for d in bus.devices}
    details: dict[str, Any] = {
        "port": bus.port,
        "profile": bus.profile,
        "configured": sorted(configured),
    }
    if "://" not in bus.port and not os.path.exists(bus.port):
        return [
            Result(
                name,
                "fail",
                f"adapter not found: {bus.port}",
                "plug in the USB-RS485 adapter; `ls -l /dev/serial/by-id/ /dev/hall-pads*` "
                "shows its name; put that in [[pads.buses]] port",
                details,
            )
        ]
    if not ctx.options.scan_pads:
        return [
            Result(
                name,
                "ok",
                f"adapter present ({bus.port}); `hall doctor --scan-pads` asks each address",
                "",
                details,
            )
        ]
    if bus.profile != "v1":
        return [
            Result(
                name,
                "skip",
                "legacy pads cannot be scanned (they only send key frames); press a key on each",
                "",
                details,
            )
        ]
    from appliance.ops import padscan

    try:
        port = SerialPort(bus.port, bus.baud)
    except PortGone as exc:
        return [
            Result(
                name,
                "warn",
                f"cannot scan: {exc}",
                "hall-pads holds the line while it runs: `systemctl stop hall-pads`, scan, "
                "then `systemctl start hall-pads`",
                details,
            )
        ]
    try:
        found = padscan.scan(
            port,
            bus.baud,
            range(1, 32),
            reply_timeout=bus.reply_timeout_ms / 1000,
            tries=1 + bus.retries,
            expected=configured,
        )
    finally:
        port.close()
    details["answering"] = {
        str(a): {"kind": f.kind, "firmware": f.firmware, "model": f.model} for a, f in found.items()
    }
    missing = sorted(set(configured) - set(found))
    extra = sorted(set(found) - set(configured))
    if not found:
        return [
            Result(
                name,
                "fail",
                "no device answers on the bus",
                "check the A/B wires (swap them if unsure), the 120 Ω terminator at the far end, "
                "the pads' power, and [[pads.buses]] baud",
                details,
            )
        ]
    problems = []
    if missing:
        counters = ", ".join(f"{a} (counter {configured[a].counter})" for a in missing)
        problems.append(f"silent: {counters}")
    if extra:
        problems.append(f"answering but not configured: {', '.join(map(str, extra))}")
    if problems:
        return [
            Result(
                name,
                "warn",
                f"{len(found)} answer; " + "; ".join(problems),
                "check each silent device's address switch, cable and power; add unknown "
                "addresses to [[pads.buses]] devices",
                details,
            )
        ]
    return [Result(name, "ok", f"all {len(found)} configured devices answer", "", details)]
