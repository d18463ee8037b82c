"""`hall provision`, `hall doctor` and `hall migrate`: the technician's commands."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from hall.clikit import (
    EXIT_CONFIG,
    EXIT_REFUSED,
    EXIT_STORE,
    config_option,
    emit,
    handle_errors,
    json_option,
)

DEFAULT_STATE_DIR = "/var/lib/hall"
UNIT_OF = {
    "hub": "hall-hub",
    "kiosk": "hall-kiosk",
    "display": "hall-display",
    "pads": "hall-pads",
    "sync": "hall-sync",
}


def _refuse(message: str, code: int, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    else:
        click.echo(f"provision refused: {message}", err=True)
    sys.exit(code)


@click.command("provision")
@click.argument("bundle", required=False)
@click.option("--interactive", is_flag=True, help="Ask for what a bundle would give.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the --interactive questions.",
)
@config_option
@click.option(
    "--state-dir",
    default=DEFAULT_STATE_DIR,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the database and the roles' state live.",
)
@click.option("--hall", "expected_hall", help="The hall this box is for; another is refused.")
@click.option(
    "--trust",
    type=click.Path(dir_okay=False),
    envvar="HALL_PROVISIONING_TRUST",
    default="/etc/hall/trust/provisioning.pub",
    show_default=True,
    help="The city's provisioning public key(s).",
)
@click.option(
    "--owner", help="Owner of all that is written (default: a user per role as root, else you)."
)
@click.option("--dry-run", is_flag=True, help="Check and show; write nothing.")
@json_option
@handle_errors
def provision(
    bundle: str | None,
    interactive: bool,
    lang: str,
    config_path: str,
    state_dir: str,
    expected_hall: str | None,
    trust: str,
    owner: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Configure this box from the city's provisioning BUNDLE (a file, '-', or the text of
    its QR code), or with --interactive. Refuses a bundle for another hall, with a bad
    signature or an expired certificate, and then changes nothing."""
    from appliance.ops import files
    from appliance.ops import provision as prov
    from appliance.ops.bundle import BundleError, load_trust, read_source, verify

    if bool(bundle) == interactive:
        raise click.UsageError("give a BUNDLE or --interactive (one of them)")
    layout = prov.Layout(Path(config_path).absolute(), Path(state_dir).absolute())
    try:
        who = None if dry_run else files.resolve_owner(owner)
        if bundle:
            payload = verify(read_source(bundle), load_trust(Path(trust)))
            source = "bundle"
        else:
            payload = _ask(layout, lang)
            source = "interactive"
        plan = prov.make_plan(
            payload, layout, expected_hall=expected_hall, wall=time.time(), source=source
        )
    except BundleError as exc:
        _refuse(str(exc), EXIT_CONFIG if exc.malformed else EXIT_REFUSED, as_json)
        return
    except files.OwnerError as exc:
        _refuse(str(exc), EXIT_CONFIG, as_json)
        return
    summary = _summary(plan)
    if not as_json:
        click.echo(_describe(plan, summary))
        if interactive and not click.confirm(
            "写入以上配置？" if lang == "zh" else "Write this configuration?", default=True
        ):
            click.echo("nothing written")
            sys.exit(1)
    if not dry_run:
        try:
            written = prov.apply(plan, who, per_role=who is None)
            summary |= _after_provision(plan, per_role=who is None)
        except OSError as exc:
            _refuse(f"cannot write {exc.filename or ''}: {exc.strerror or exc}", 1, as_json)
            return
        summary["written"] = [str(p) for p in written]
    emit(
        summary,
        as_json,
        lambda: "dry run: nothing written" if dry_run else _next_steps(plan, config_path),
    )


def _after_provision(plan: Any, *, per_role: bool) -> dict[str, Any]:
    """A hub box's hall-bus trust (`hall device setup`), and each file's owner (as root)."""
    from appliance.cli.common import load_config
    from appliance.ops import bussetup
    from appliance.ops.busfiles import BusFiles
    from appliance.ops.layout import lay_out

    cfg = load_config(str(plan.layout.config))
    out: dict[str, Any] = {}
    if "hub" in plan.payload.roles:
        rep = bussetup.setup(cfg, BusFiles(cfg.base), restart=bussetup.restart_mosquitto)
        out["hall_bus"] = {"devices": rep.devices, "lan": rep.lan, "reloaded": rep.reloaded}
    if per_role:
        laid = lay_out(cfg, move=False)
        out["permissions"] = laid.changed + laid.warnings
    return out


def _ask(layout: Any, lang: str) -> Any:
    from appliance.ops import interactive
    from appliance.ops import provision as prov

    existing = prov.read_existing(layout.config) or {}
    hall = existing.get("hall", {}) if isinstance(existing.get("hall"), dict) else {}
    catalog = layout.etc / str(hall.get("catalog", "catalog.json"))
    defaults = {"hall_id": hall.get("id"), "hall_name": hall.get("name")}
    return interactive.ask(lang, defaults, catalog_needed=not catalog.exists())


def _summary(plan: Any) -> dict[str, Any]:
    p = plan.payload
    return {
        "ok": True,
        "hall_id": p.hall_id,
        "hall_name": p.hall_name,
        "roles": list(p.roles),
        "bundle_id": p.bundle_id,
        "config": str(plan.layout.config),
        "files": [str(path) for path, _d, _m in plan.files] + [str(plan.layout.config)],
        "cert_not_after": plan.cert.not_after.isoformat() if plan.cert else None,
        "warnings": list(plan.warnings),
    }


def _describe(plan: Any, s: dict[str, Any]) -> str:
    lines = [
        f"hall {s['hall_id']} {s['hall_name']}; roles of this box: {', '.join(s['roles'])}",
        f"bundle {s['bundle_id']}"
        + (
            f"; client certificate valid until {s['cert_not_after'][:10]}"
            if s["cert_not_after"]
            else ""
        ),
        "files:",
    ]
    modes = {str(path): mode for path, _d, mode in plan.files}
    for f in s["files"]:
        lines.append(f"  {oct(modes.get(f, 0o640))[2:]:>4}  {f}")
    lines += [f"warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


def _next_steps(plan: Any, config_path: str) -> str:
    units = " ".join(UNIT_OF[r] for r in plan.payload.roles)
    return (
        f"written. Next:\n  systemctl enable --now hall.target {units}\n"
        f"  hall doctor --config {config_path}"
    )


@click.command("doctor")
@config_option
@json_option
@click.option("--roles", help="Comma-separated roles to check (default: this box's roles).")
@click.option("--test-print", is_flag=True, help="Print a test page on the kiosk's printer.")
@click.option("--test-speech", is_flag=True, help="Speak a test call on the display's output.")
@click.option("--scan-pads", is_flag=True, help="Ask every address on each v1 pad bus.")
@click.option("--only", multiple=True, help="Run only this check (repeatable).")
@click.option("--timeout", type=float, default=3.0, show_default=True, help="Per network check.")
@click.option("--min-free-mb", type=float, default=200, show_default=True)
@click.option(
    "--mosquitto-conf",
    default="/etc/mosquitto/mosquitto.conf",
    show_default=True,
    help="The hall's Mosquitto settings (hub box), read as Mosquitto reads them.",
)
def doctor(
    config_path: str,
    as_json: bool,
    roles: str | None,
    test_print: bool,
    test_speech: bool,
    scan_pads: bool,
    only: tuple[str, ...],
    timeout: float,
    min_free_mb: float,
    mosquitto_conf: str,
) -> None:
    """Check this box and say whether the hall can open (exit 0) or not (exit 1); each
    problem comes with what to do."""
    from appliance.ops import checks
    from appliance.ops.bundle import ROLES

    chosen = None
    if roles is not None:
        chosen = tuple(r.strip() for r in roles.split(",") if r.strip())
        bad = [r for r in chosen if r not in ROLES]
        if bad:
            raise click.BadParameter(f"unknown role(s) {bad}; roles: {', '.join(ROLES)}")
    unknown = sorted(set(only) - {c.name for c in checks.REGISTRY})
    if unknown:
        names = ", ".join(c.name for c in checks.REGISTRY)
        raise click.BadParameter(
            f"unknown check(s) {unknown}; checks: {names}", param_hint="--only"
        )
    options = checks.Options(
        roles=chosen,
        test_print=test_print,
        test_speech=test_speech,
        scan_pads=scan_pads,
        timeout=timeout,
        min_free_mb=min_free_mb,
        warn_free_mb=max(min_free_mb, 1024),
        mosquitto_conf=Path(mosquitto_conf),
    )
    ctx = checks.Context(Path(config_path), options)
    ctx.load()
    results = checks.run_checks(ctx, only or None)
    report = doctor_report(ctx, results)
    emit(report, as_json, lambda: doctor_text(report))
    sys.exit(0 if report["can_open"] else 1)


def doctor_report(ctx: Any, results: list[Any]) -> dict[str, Any]:
    from appliance.ops import checks

    counts = {s: sum(r.status == s for r in results) for s in ("ok", "warn", "fail", "skip")}
    return {
        "can_open": checks.can_open(results),
        "hall_id": ctx.cfg.hall.id if ctx.cfg else None,
        "hall_name": ctx.cfg.hall.name if ctx.cfg else None,
        "roles": list(ctx.roles),
        "counts": counts,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": [r.to_dict() for r in results],
    }


_MARK = {"ok": " ok ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def doctor_text(report: dict[str, Any]) -> str:
    head = f"hall doctor: {report['hall_id'] or '?'} {report['hall_name'] or ''}".rstrip()
    lines = [head, f"roles of this box: {', '.join(report['roles'])}", ""]
    for r in report["results"]:
        lines.append(f"[{_MARK[r['status']]}] {r['check']:<24} {r['summary']}")
        if r.get("fix") and r["status"] in ("warn", "fail"):
            lines.append(f"{'':31}→ {r['fix']}")
    c = report["counts"]
    lines.append("")
    if report["can_open"]:
        lines.append(f"The hall can open. ({c['ok']} ok, {c['warn']} warnings)")
    else:
        lines.append(f"The hall cannot open: {c['fail']} problem(s) marked FAIL to fix first.")
    return "\n".join(lines)


@click.command("migrate")
@config_option
@click.option(
    "--backup-dir",
    type=click.Path(file_okay=False),
    help="Where the copy taken first goes (default: <database folder>/backups).",
)
@json_option
@handle_errors
def migrate(config_path: str, backup_dir: str | None, as_json: bool) -> None:
    """Back up the hall's database and bring it to this software's schema (run on upgrade,
    with the roles stopped); a failed migration puts the backup back."""
    from appliance.cli.common import load_config
    from appliance.ops.migrate import MigrationError, migrate_database

    cfg = load_config(config_path)
    db = cfg.database_path
    folder = Path(backup_dir) if backup_dir else db.parent / "backups"
    try:
        out = migrate_database(db, folder)
    except MigrationError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        else:
            click.echo(f"migration failed: {exc}", err=True)
        sys.exit(EXIT_STORE)
    data = {
        "ok": True,
        "database": str(out.database),
        "backup": str(out.backup) if out.backup else None,
        "from": out.from_version,
        "to": out.to_version,
    }
    emit(
        data,
        as_json,
        lambda: (
            "no database yet: nothing to migrate"
            if out.backup is None
            else f"schema {out.from_version} → {out.to_version}; backup {out.backup}"
        ),
    )


from appliance.ops.devicecli import device, permissions_cmd  # noqa: E402

commands = [provision, doctor, migrate, device, permissions_cmd]
