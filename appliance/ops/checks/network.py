"""Checks of the hall bus (the hall's Mosquitto, the roles' presence) and the city link: its
files and certificate, the broker's answer, and the faults `hall sync` recorded (an ack past
what the hall sent, a broker that refuses our events, another hall's certificate)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from appliance.ops import certs
from appliance.ops.checks.base import Context, Result, check

PRESENCE = "hall/v1/presence/+"


def _presence(ctx: Context) -> tuple[bool, dict[str, dict[str, Any]]]:
    """(connected, retained presence by client id) from the hall's Mosquitto."""
    from appliance.ops.checks.bussec import probe_login
    from hall.bus.login import BusLogin
    from hall.bus.mqtt import connect

    assert ctx.cfg is not None
    b = ctx.cfg.bus
    login, client_id = probe_login(ctx)  # `<device>.doctor`: read-only, nobody's session
    if login is None:
        login = BusLogin(b.host, b.port, None, None, None)
    bus = connect(login, client_id, reconnect_delay=(1, 1))
    seen: dict[str, dict[str, Any]] = {}
    quiet = threading.Event()
    try:
        if not bus.wait_connected(ctx.options.timeout):
            return False, seen

        def on_message(msg: Any) -> None:
            seen[msg.topic.rsplit("/", 1)[-1]] = dict(msg.payload)

        bus.subscribe(PRESENCE, on_message)
        quiet.wait(0.3)  # retained messages follow the SUBACK at once
        return True, seen
    finally:
        bus.close()


@check("hall-bus")
def hall_bus(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    host, port = ctx.cfg.bus.host, ctx.cfg.bus.port
    connected, seen = ctx.extras.get("presence") or _presence(ctx)
    ctx.extras["presence"] = (connected, seen)
    if not connected:
        where = "this box" if ctx.has("hub") else "the hub box"
        return [
            Result(
                "hall-bus",
                "fail",
                f"the hall's Mosquitto at {host}:{port} does not answer",
                f"on {where}: `systemctl status mosquitto`; check [bus] host/port in the config "
                "and the LAN cable",
            )
        ]
    roles = {
        cid: {"role": p.get("role"), "status": p.get("status"), "host": p.get("host")}
        for cid, p in sorted(seen.items())
    }
    summary = f"Mosquitto at {host}:{port} answers; {len(roles)} role(s) known"
    results = [Result("hall-bus", "ok", summary, "", {"presence": roles})]
    hub = [p for p in seen.values() if p.get("role") == "hub"]
    up = [p for p in hub if p.get("status") == "up"]
    if up:
        results.append(Result("hub", "ok", f"the hub is up (on {up[0].get('host', '?')})"))
    else:
        state = hub[0].get("status") if hub else "never seen"
        results.append(
            Result(
                "hub",
                "fail",
                f"the hub is not running ({state})",
                "on the hub box: `systemctl status hall-hub` and `journalctl -u hall-hub -e`",
            )
        )
    down = [f"{cid} ({p['status']})" for cid, p in roles.items() if p["status"] != "up"]
    if down:
        results.append(
            Result(
                "roles",
                "warn",
                "not running: " + ", ".join(down),
                "on that box: `systemctl status hall-<role>`; a role removed for good leaves a "
                "retained 'down' until the broker is cleaned",
            )
        )
    return results


@check("city", roles=("sync",))
def city(ctx: Context) -> list[Result]:
    from appliance.ops import mqttprobe

    assert ctx.cfg is not None
    s = ctx.cfg.sync
    if not s.enabled:
        return [Result("city", "skip", "the city link is off ([sync] enabled = false)")]
    if s.host.endswith(".invalid"):
        return [
            Result(
                "city",
                "skip",
                "the city broker is not configured",
                "`hall provision BUNDLE` writes broker_url and the certificates",
            )
        ]
    base = ctx.cfg.base
    results: list[Result] = []
    paths = {
        "ca_file": base / s.ca_file,
        "cert_file": base / s.cert_file,
        "key_file": base / s.key_file,
    }
    if s.tls:
        missing = [f"{k} {p}" for k, p in paths.items() if not p.is_file()]
        if missing:
            return [
                Result(
                    "city",
                    "warn",
                    "missing: " + ", ".join(missing),
                    "`hall provision BUNDLE` writes them; the hall works offline meanwhile",
                )
            ]
        results.append(_cert(ctx, paths))
    target = mqttprobe.Target(
        s.host,
        s.port,
        s.tls,
        str(paths["ca_file"]),
        str(paths["cert_file"]),
        str(paths["key_file"]),
        s.protocol,
    )
    results += _link_faults(ctx)
    got = mqttprobe.probe(target, f"hall-{ctx.cfg.hall.id}-doctor", ctx.options.timeout)
    details = {"broker": s.broker_url, "millis": round(got.millis)}
    if got.ok:
        results.append(Result("city", "ok", f"{s.broker_url}: {got.detail}", "", details))
    else:
        results.append(
            Result(
                "city",
                "warn",
                f"{s.broker_url}: {got.detail}",
                "check the network (DNS, firewall: TCP 8883 outbound) and the certificate; "
                "the hall keeps working and sends its backlog when the link is back",
                details,
            )
        )
    return results


def _link_faults(ctx: Context) -> list[Result]:
    """What the running (or last) `hall sync` recorded in its state file (sync.faults)."""
    from sync.faults import FIX
    from sync.state import SyncState

    assert ctx.cfg is not None
    path = ctx.cfg.base / ctx.cfg.sync.state_file
    if not path.is_file():
        return [Result("city-link", "skip", f"`hall sync` has not run here yet (no {path})")]
    try:
        state = SyncState(path, readonly=True)
    except Exception as exc:  # a diagnosis, never a crash: say what could not be read
        return [Result("city-link", "warn", f"{path}: cannot read it ({exc})")]
    try:
        faults = [f for f in state.faults() if f.active]
        acked = state.acked
    finally:
        state.close()
    if not faults:
        return [
            Result(
                "city-link",
                "ok",
                f"no fault recorded by `hall sync`; the city acked events through {acked}",
            )
        ]
    return [
        Result(
            "city-link",
            "warn",
            f"{f.name} ({f.count} times): {f.detail}",
            FIX.get(f.name, "see docs/CITY_SYNC.md"),
            {"fault": f.name, "count": f.count, "since": f.since, "last": f.last},
        )
        for f in faults
    ]


def _cert(ctx: Context, paths: dict[str, Path]) -> Result:
    assert ctx.cfg is not None
    now = certs.utc(ctx.wall())
    try:
        ci = certs.check_client_cert(
            paths["cert_file"].read_bytes(),
            paths["key_file"].read_bytes(),
            paths["ca_file"].read_bytes(),
            ctx.cfg.hall.id,
            now,
            clock_trusted=now.year >= 2025,
        )
    except (certs.CertError, OSError) as exc:
        return Result(
            "city-certificate",
            "warn",
            str(exc),
            "ask the city for a new provisioning bundle; `hall provision` installs it",
        )
    days = ci.days_left(now)
    details = {"not_after": ci.not_after.isoformat(), "days_left": round(days, 1)}
    if days < ctx.options.cert_warn_days:
        return Result(
            "city-certificate",
            "warn",
            f"the hall's certificate expires in {days:.0f} days ({ci.not_after:%Y-%m-%d})",
            "ask the city for a new provisioning bundle before then",
            details,
        )
    return Result(
        "city-certificate",
        "ok",
        f"valid until {ci.not_after:%Y-%m-%d} ({days:.0f} days)",
        "",
        details,
    )
