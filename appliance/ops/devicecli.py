"""`hall device …`: who may be on the hall bus (docs/SECURITY.md).

On the hub box, as root:
    hall device setup [--lan]           the hall's CA, the broker's certificate, this box's
                                         roles' passwords, the broker's password and ACL files
    hall device add ID --role ROLE       enroll a kiosk, display, pad line, sync or technician:
                                         prints the bundle the other box joins with
    hall device rotate ID                a new password (a new bundle for an enrolled box)
    hall device revoke ID                it can no longer connect; a connected one is dropped
    hall device list
On the other box, as root:
    hall device join BUNDLE              install the bundle: CA, password, [bus] in the config
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from hall.clikit import EXIT_CONFIG, EXIT_REFUSED, config_option, emit, handle_errors, json_option

MOSQUITTO_DIR = "/etc/mosquitto/conf.d"


def _load(config_path: str) -> Any:
    from appliance.cli.common import load_config

    return load_config(config_path)


def _files(cfg: Any, mosquitto_dir: str) -> Any:
    from appliance.ops.busfiles import BusFiles

    return BusFiles(cfg.base, Path(mosquitto_dir))


def _refuse(message: str, code: int = EXIT_REFUSED) -> None:
    click.echo(f"hall device: {message}", err=True)
    sys.exit(code)


mosquitto_option = click.option(
    "--mosquitto-dir",
    default=MOSQUITTO_DIR,
    show_default=True,
    help="Where the hall's Mosquitto settings live (conf.d).",
)


@click.group("device")
def device() -> None:
    """Who may be on the hall bus: enroll, rotate, revoke (on the hub box); join (others)."""


@device.command("setup")
@config_option
@mosquitto_option
@click.option("--lan/--no-lan", default=None, help="Add or remove the LAN listener (TLS).")
@click.option("--lan-port", type=int, default=8883, show_default=True)
@click.option("--renew", is_flag=True, help="Make a new certificate for the broker.")
@click.option(
    "--reload/--no-reload",
    default=True,
    show_default=True,
    help="Reload (or restart) the running Mosquitto; off for an image being built.",
)
@json_option
@handle_errors
def setup_cmd(
    config_path: str,
    mosquitto_dir: str,
    lan: bool | None,
    lan_port: int,
    renew: bool,
    reload: bool,
    as_json: bool,
) -> None:
    """Bring the hub box's hall-bus trust up to date (idempotent; provisioning and upgrades
    run it): the hall's CA, the broker's certificate, a password for each role of this box,
    the broker's password and ACL files from the device registry; reload Mosquitto."""
    from appliance.ops import bussetup

    cfg = _load(config_path)
    try:
        quiet = (lambda: "Mosquitto not reloaded (--no-reload)") if not reload else None
        rep = bussetup.setup(
            cfg,
            _files(cfg, mosquitto_dir),
            lan=lan,
            lan_port=lan_port,
            renew=renew,
            reload=quiet or bussetup.reload_mosquitto,
            restart=quiet or bussetup.restart_mosquitto,
        )
    except bussetup.SetupError as exc:
        _refuse(str(exc), EXIT_CONFIG)
        return
    emit({"ok": True, **asdict(rep)}, as_json, lambda: _setup_text(rep))


def _setup_text(rep: Any) -> str:
    lines = [f"hall bus: {len(rep.devices)} device(s): {', '.join(rep.devices)}"]
    if rep.new_keys:
        lines.append(f"new passwords for: {', '.join(rep.new_keys)}")
    lines.append(
        f"LAN listener (TLS): {'on' if rep.lan else 'off (loopback only)'}; broker certificate "
        f"until {rep.server_cert_until[:10]}"
    )
    lines += [f"wrote {w}" for w in rep.written]
    if rep.reloaded:
        lines.append(rep.reloaded)
    lines += [f"warning: {w}" for w in rep.warnings]
    return "\n".join(lines)


@device.command("add")
@click.argument("device_id")
@click.option(
    "--role",
    type=click.Choice(["kiosk", "display", "pads", "sync", "tool"]),
    required=True,
)
@click.option("--counters", default="", help="A pad line's counters, comma-separated.")
@click.option("--host", default="", help="The hub box's LAN address, for the other box's [bus].")
@click.option("--port", type=int, help="The LAN listener's port (default: this hub's, 8883).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the bundle here (0600).")
@config_option
@mosquitto_option
@json_option
@handle_errors
def add_cmd(
    device_id: str,
    role: str,
    counters: str,
    host: str,
    port: int | None,
    out: str | None,
    config_path: str,
    mosquitto_dir: str,
    as_json: bool,
) -> None:
    """Enroll a box's role (or a technician) on the hall bus: one step. Prints the bundle
    the other box installs with `hall device join` (a secret: it logs in as the device)."""
    from appliance.ops import bussetup
    from hall.devices import Device, RegistryError, check_device_id

    cfg = _load(config_path)
    try:
        check_device_id(device_id)
    except RegistryError as exc:
        _refuse(f"{device_id!r}: {exc}", EXIT_CONFIG)
    wanted = frozenset(c.strip() for c in counters.split(",") if c.strip())
    known = {c.id for c in cfg.counters}
    if role == "pads" and (not wanted or not wanted <= known):
        _refuse(
            f"a pad line needs --counters, each one of this hall's: {', '.join(sorted(known))}",
            EXIT_CONFIG,
        )
    if wanted and role != "pads":
        _refuse("only a pad line (--role pads) has counters", EXIT_CONFIG)
    try:
        found, local = bussetup.find(cfg, device_id)
        if local or device_id == "hub":
            _refuse(f"{device_id} is a role of this hub box: `hall device rotate {device_id}`")
        if found is not None and not found.revoked:
            _refuse(f"{device_id} is enrolled already: `hall device rotate {device_id}`")
        password = bussetup.enroll(cfg, Device(device_id, role, wanted))
    except bussetup.SetupError as exc:
        _refuse(str(exc), EXIT_CONFIG)
        return
    _enrolled(cfg, mosquitto_dir, device_id, role, wanted, password, host, port, out, as_json)


def _enrolled(
    cfg: Any,
    mosquitto_dir: str,
    device_id: str,
    role: str,
    counters: frozenset[str],
    password: str,
    host: str,
    port: int | None,
    out: str | None,
    as_json: bool,
) -> None:
    from appliance.ops import busfiles, bussetup, enroll

    files = _files(cfg, mosquitto_dir)
    port = port or busfiles.lan_port(files) or busfiles.LAN_PORT
    rep = bussetup.setup(cfg, files)
    text = enroll.encode(
        enroll.Enrollment(
            cfg.hall.id,
            device_id,
            role,
            password,
            files.ca_cert.read_text(encoding="ascii"),
            port,
            host,
            tuple(sorted(counters)),
        )
    )
    if out:
        from hall.files import write_atomic

        write_atomic(Path(out), (text + "\n").encode("ascii"), mode=0o600)
    data = {"ok": True, "device": device_id, "role": role, "bundle": None if out else text}
    data |= {"bundle_file": out, "reloaded": rep.reloaded, "lan": rep.lan}
    warn = (
        ""
        if rep.lan
        else (
            "\nwarning: this hub's Mosquitto listens on loopback only: other boxes cannot reach "
            "it until `hall device setup --lan` (or install.sh --lan)"
        )
    )
    emit(
        data,
        as_json,
        lambda: (
            f"{device_id} ({role}) enrolled. On that box, as root:\n  hall device join "
            + (out if out else text)
            + "\nThe bundle logs in as the device: keep it secret and delete it after use."
            + warn
        ),
    )


@device.command("rotate")
@click.argument("device_id")
@click.option("--host", default="", help="The hub box's LAN address, for the other box's [bus].")
@click.option("--port", type=int, help="The LAN listener's port (default: this hub's, 8883).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the bundle here (0600).")
@config_option
@mosquitto_option
@json_option
@handle_errors
def rotate_cmd(
    device_id: str,
    host: str,
    port: int | None,
    out: str | None,
    config_path: str,
    mosquitto_dir: str,
    as_json: bool,
) -> None:
    """A new password for a device; the old one stops working at once (a connected client
    using it is dropped). An enrolled box gets a new bundle to join with."""
    from appliance.ops import bussetup

    cfg = _load(config_path)
    try:
        found, local = bussetup.find(cfg, device_id)
        if found is None:
            _refuse(f"no device {device_id}: `hall device list`")
            return
        if local:
            bussetup.rotate_local(cfg, found)
            rep = bussetup.setup(cfg, _files(cfg, mosquitto_dir))
            unit = "hall-hub" if found.role == "hub" else f"hall-{found.role}"
            emit(
                {"ok": True, "device": device_id, "reloaded": rep.reloaded},
                as_json,
                f"{device_id}: new password. {rep.reloaded}. Restart it: systemctl restart {unit}",
            )
            return
        password = bussetup.enroll(cfg, found)
    except bussetup.SetupError as exc:
        _refuse(str(exc), EXIT_CONFIG)
        return
    _enrolled(
        cfg,
        mosquitto_dir,
        device_id,
        found.role,
        found.counters,
        password,
        host,
        port,
        out,
        as_json,
    )


@device.command("revoke")
@click.argument("device_id")
@config_option
@mosquitto_option
@json_option
@handle_errors
def revoke_cmd(device_id: str, config_path: str, mosquitto_dir: str, as_json: bool) -> None:
    """A stolen or retired device can no longer connect or act: its password is gone from the
    broker (a connected client is dropped at once) and the hub refuses its requests."""
    from appliance.ops import bussetup

    cfg = _load(config_path)
    try:
        found, _local = bussetup.find(cfg, device_id)
        if found is None or device_id == "hub":
            _refuse(f"no device {device_id} to revoke: `hall device list`")
            return
        bussetup.revoke(cfg, found)
        rep = bussetup.setup(cfg, _files(cfg, mosquitto_dir))
    except bussetup.SetupError as exc:
        _refuse(str(exc), EXIT_CONFIG)
        return
    emit(
        {"ok": True, "device": device_id, "reloaded": rep.reloaded},
        as_json,
        f"{device_id} revoked. {rep.reloaded}",
    )


@device.command("list")
@config_option
@json_option
@handle_errors
def list_cmd(config_path: str, as_json: bool) -> None:
    """The devices of the hall bus: this box's own and the enrolled ones."""
    from appliance.ops import bussetup

    cfg = _load(config_path)
    try:
        registry = {d.id: d for d in bussetup.enrolled(cfg)}
    except bussetup.SetupError as exc:
        _refuse(str(exc), EXIT_CONFIG)
        return
    listed = [(registry.pop(d.id, d), "this box") for d in bussetup.local_devices(cfg)]
    listed += [(d, "enrolled") for d in registry.values()]
    rows: list[dict[str, Any]] = []
    for d, where in listed:
        row: dict[str, Any] = {"id": d.id, "role": d.role, "where": where, "revoked": d.revoked}
        if d.counters:
            row["counters"] = sorted(d.counters)
        rows.append(row)
    emit(
        {"ok": True, "devices": rows},
        as_json,
        lambda: "\n".join(
            f"{r['id']:<24} {r['role']:<8} {r['where']:<9} {'REVOKED' if r['revoked'] else ''}"
            for r in rows
        ),
    )


@device.command("join")
@click.argument("bundle")
@config_option
@json_option
@handle_errors
def join_cmd(bundle: str, config_path: str, as_json: bool) -> None:
    """Install an enrollment from the hub box (the text, a file, or '-'): the hall's CA,
    this device's password, and TLS to the hub box in [bus]. Then restart the role."""
    from appliance.ops import enroll

    text = bundle
    if not bundle.strip().startswith(enroll.PREFIX):
        try:
            text = sys.stdin.read() if bundle == "-" else Path(bundle).read_text("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            _refuse(f"{bundle}: cannot read the bundle: {exc}", EXIT_CONFIG)
    try:
        done = enroll.join(enroll.decode(text), Path(config_path))
    except enroll.EnrollError as exc:
        _refuse(str(exc))
        return
    unit = "" if done.role == "tool" else f"\nNext: systemctl restart hall-{done.role}"
    tool = f"\nUse it: HALL_DEVICE={done.device} hall queue status" if done.role == "tool" else ""
    emit(
        {
            "ok": True,
            "device": done.device,
            "role": done.role,
            "written": [str(p) for p in done.written],
        },
        as_json,
        f"{done.device} ({done.role}) joined the hall bus; wrote "
        + ", ".join(str(p) for p in done.written)
        + unit
        + tool,
    )


@click.command("permissions")
@config_option
@click.option("--no-move", is_flag=True, help="Leave a role's state file where it is.")
@json_option
@handle_errors
def permissions_cmd(config_path: str, no_move: bool, as_json: bool) -> None:
    """Give each file of the hall its owner and mode: a user per role, the database the hub's,
    the trust anchors root's (docs/SECURITY.md). deploy/install.sh runs it with the roles
    stopped; run it after restoring a backup by hand."""
    from appliance.ops.layout import lay_out

    cfg = _load(config_path)
    laid = lay_out(cfg, move=not no_move)
    emit(
        {"ok": True, "changed": laid.changed, "moved": laid.moved, "warnings": laid.warnings},
        as_json,
        lambda: "\n".join(
            [*(f"set {c}" for c in laid.changed), *(f"moved {m}" for m in laid.moved)]
            + [f"warning: {w}" for w in laid.warnings]
            + [f"permissions: {len(laid.changed)} change(s)"]
        ),
    )
