"""The counter pads: each bus's adapter present, a bus scan on request; USB keypads present;
each line's health as `hall pads` last wrote it (noise, bad CRCs, timeouts, busy answers …)."""

from __future__ import annotations

import os
import sqlite3
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
    results.extend(_line_health(ctx))
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


STALE_INTERVALS = 3  # a snapshot older than this many intervals: `hall pads` is not running


def _line_health(ctx: Context) -> list[Result]:
    """The counters `hall pads` writes to its memory file every few seconds."""
    from counter_pad.durable import read_health
    from counter_pad.health import noisy, summary

    assert ctx.cfg is not None
    path = ctx.cfg.base / ctx.cfg.pads.state_file
    if not path.exists():
        return [Result("pad lines", "skip", f"`hall pads` has not run here yet (no {path})")]
    try:
        lines = read_health(str(path))
    except sqlite3.Error as exc:
        return [Result("pad lines", "skip", f"cannot read {path}: {exc}")]
    out = []
    now = ctx.wall()
    for h in lines:
        name = f"pad line {h.line}"
        details: dict[str, Any] = {"counters": h.counters, "recent": h.recent, "at": h.at}
        age = now - h.at
        since = f"last {h.interval:g} s: {summary(h.recent)}; since start: {summary(h.counters)}"
        if h.interval and age > STALE_INTERVALS * h.interval:
            out.append(
                Result(
                    name,
                    "warn",
                    f"figures are {age:.0f} s old: is `hall pads` running? ({since})",
                    "systemctl status hall-pads",
                    details,
                )
            )
        elif noisy({}, h.recent):
            out.append(
                Result(
                    name,
                    "warn",
                    f"noisy line: {since}",
                    "check the 120 Ω terminators at both ends, the A/B pair and its shield, "
                    "one master per line, each device's address; at 115200 baud keep the "
                    "line under 300 m (docs/PAD_PROTOCOL.md, wiring)",
                    details,
                )
            )
        else:
            out.append(Result(name, "ok", since, "", details))
    return out
