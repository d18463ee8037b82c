"""Checks of the config, the hall's database, free disk and the devices the roles report."""

from __future__ import annotations

import pwd
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance import config as hall_config
from appliance.ops.checks.base import Context, Result, Status, check
from hall.store import schema
from hall.store.db import open_db
from hall.store.integrity import chain_breaks, startup_check
from hall.store.read import UNREADABLE, DeviceRow, HallReader, LogHead


@check("config", needs_config=False)
def config_valid(ctx: Context) -> list[Result]:
    path = ctx.config_path
    if ctx.cfg is None:
        return [
            Result(
                "config",
                "fail",
                ctx.config_error or f"{path}: cannot be read",
                f"fix the file and check it with `hall config check {path}`; a new box: "
                "`hall provision BUNDLE` writes it",
            )
        ]
    cfg = ctx.cfg
    details: dict[str, Any] = {
        "file": str(path),
        "hall_id": cfg.hall.id,
        "hall_name": cfg.hall.name,
        "roles": list(ctx.roles),
        "roles_from": ctx.roles_source,
    }
    if ctx.marker and ctx.marker.get("hall_id") not in (None, cfg.hall.id):
        return [
            Result(
                "config",
                "fail",
                f"the config is for hall {cfg.hall.id}, but this box was provisioned for "
                f"{ctx.marker.get('hall_id')}",
                "provision the box again with the right bundle (`hall provision`)",
                details,
            )
        ]
    if ctx.has("hub"):
        try:
            catalog, _raw = cfg.load_catalog()
        except hall_config.ConfigError as exc:
            return [
                Result(
                    "config",
                    "fail",
                    str(exc),
                    "put the hall's catalog (contract shape) where hall.catalog says",
                    details,
                )
            ]
        details["catalog_version"] = catalog.version
    summary = f"{cfg.hall.id} {cfg.hall.name}, roles " + ", ".join(ctx.roles)
    if ctx.has("hub"):
        summary += f", {len(cfg.counters)} counters"
        if not cfg.counters:
            return [
                Result(
                    "config",
                    "fail",
                    summary + ": the hub needs at least one [[counters]]",
                    "add the hall's counters ([[counters]] id, services) to the config",
                    details,
                )
            ]
    known = ctx.roles_known
    status: Status = "ok" if known else "warn"
    fix = "" if known else "run `hall provision` (or set [hall] roles) so the box knows its roles"
    return [Result("config", status, summary, fix, details)]


def _not_owned_by(user: str, db: Path) -> list[str]:
    """The database's files (and WAL, shared memory) another user owns, on a box where the
    service user exists (a copy put back by root, a root shell's `sqlite3`)."""
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return []  # a developer's machine, a test: nobody to compare with
    out = []
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        try:
            owner = f.stat().st_uid
        except OSError:
            continue
        if owner != uid:
            try:
                name = pwd.getpwuid(owner).pw_name
            except KeyError:
                name = str(owner)
            out.append(f"{f} ({name})")
    return out


@check("database", roles=("hub",))
def database(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    path = ctx.cfg.database_path
    if not path.exists():
        return [
            Result(
                "database",
                "fail",
                f"{path} does not exist",
                "start the hub (`systemctl start hall-hub`), or `hall init --config "
                f"{ctx.config_path}`",
            )
        ]
    restore = (
        "stop hall-hub, move the file away and put back the newest copy from the backups "
        f"folder ({path.parent / 'backups'}); then `hall rebuild --check`"
    )
    try:
        with HallReader.open(path, current_schema=False) as reader:
            verdict = reader.quick_check()
            version = reader.schema_version
            hall_id: str | None = None
            head = LogHead(0, None)
            rows: dict[str, int] = {}
            if version == schema.SCHEMA_VERSION and verdict == "ok":
                hall_id = reader.hall_id()
                head = reader.log_head()
                rows = reader.row_counts()
    except UNREADABLE as exc:
        return [Result("database", "fail", f"{path}: {exc}", restore)]
    details: dict[str, Any] = {
        "file": str(path),
        "size_mb": round(path.stat().st_size / 1e6, 2),
        "schema": version,
        "events": head.last_seq,
        "rows": rows,
    }
    if verdict != "ok":
        return [Result("database", "fail", f"{path} is damaged: {verdict}", restore, details)]
    if version > schema.SCHEMA_VERSION:
        return [
            Result(
                "database",
                "fail",
                f"schema {version} is newer than this software ({schema.SCHEMA_VERSION})",
                "install the newer software again (deploy/install.sh), or restore a backup",
                details,
            )
        ]
    if hall_id and hall_id != ctx.cfg.hall.id:
        return [
            Result(
                "database",
                "fail",
                f"{path} belongs to hall {hall_id}, not {ctx.cfg.hall.id}",
                "point hall.database at this hall's database, or move the old one away",
                details,
            )
        ]
    foreign = _not_owned_by(ctx.service_user, path)
    if foreign:
        return [
            Result(
                "database",
                "fail",
                f"{', '.join(foreign)} not owned by {ctx.service_user}: the hub cannot write",
                f"stop hall-hub; `chown {ctx.service_user}:hall-db {path}*` "
                "(deploy/install.sh lays the box out again)",
                details,
            )
        ]
    if version < schema.SCHEMA_VERSION:
        return [
            Result(
                "database",
                "warn",
                f"schema {version}, this software needs {schema.SCHEMA_VERSION}",
                f"`hall migrate --config {ctx.config_path}` (the hub does it on start too)",
                details,
            )
        ]
    if head.last_ts is not None:
        details["last_event"] = datetime.fromtimestamp(head.last_ts, ctx.cfg.tz).isoformat(
            timespec="seconds"
        )
    trust = [f for f in startup_check(path) if f.code != "read_only"]  # ownership: above
    if not trust:  # the start-up check reads the chain's tail; the doctor reads all of it
        conn = open_db(path, readonly=True)
        try:
            trust = chain_breaks(conn, limit=3)
        finally:
            conn.close()
    if trust:
        details["findings"] = [{"code": f.code, "seq": f.seq} for f in trust]
        return [
            Result(
                "database",
                "fail",
                f"the hub will not serve it: {trust[0].message}",
                '`hall audit verify` says more; docs/TECHNICIAN.md, "The 台账\'s integrity"',
                details,
            )
        ]
    return [
        Result(
            "database",
            "ok",
            f"intact, {details['events']} events, hash chain unbroken, schema {version}",
            "",
            details,
        )
    ]


@check("disk", needs_config=False)
def disk(ctx: Context) -> list[Result]:
    where = ctx.cfg.database_path.parent if ctx.cfg else ctx.config_path.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    usage = shutil.disk_usage(where)
    free_mb = usage.free / 1e6
    details = {"path": str(where), "free_mb": round(free_mb), "total_mb": round(usage.total / 1e6)}
    o = ctx.options
    fix = (
        "free space: old backups in /var/lib/hall/backups, `journalctl --vacuum-size=200M`, "
        "`apt-get clean`"
    )
    if free_mb < o.min_free_mb:
        return [
            Result(
                "disk",
                "fail",
                f"only {free_mb:.0f} MB free on {where} (at least {o.min_free_mb:g} MB needed)",
                fix,
                details,
            )
        ]
    if free_mb < o.warn_free_mb:
        return [Result("disk", "warn", f"{free_mb:.0f} MB free on {where}", fix, details)]
    return [Result("disk", "ok", f"{free_mb:.0f} MB free on {where}", "", details)]


@check("reported-devices", roles=("hub",))
def reported_devices(ctx: Context) -> list[Result]:
    """What the roles reported with `report_device` (kept by the hub in `devices`)."""
    assert ctx.cfg is not None
    path = ctx.cfg.database_path
    try:
        with HallReader.open(path) as reader:
            rows: list[DeviceRow] = reader.devices()
    except UNREADABLE as exc:
        return [Result("reported-devices", "skip", f"cannot read the devices: {exc}")]
    tz = ctx.cfg.tz
    devices = [
        {
            "device": d.device,
            "kind": d.kind,
            "ok": d.ok,
            "state": d.state,
            "detail": d.detail,
            "since": datetime.fromtimestamp(d.at, tz).isoformat(timespec="seconds"),
        }
        for d in rows
    ]
    if not devices:
        return [Result("reported-devices", "ok", "no device has reported yet", "", {"devices": []})]
    bad = [d for d in devices if not d["ok"]]
    details = {"devices": devices}
    if bad:
        listed = ", ".join(f"{d['device']} {d['state']}" for d in bad)
        return [
            Result(
                "reported-devices",
                "warn",
                f"{len(bad)} of {len(devices)} devices report a fault: {listed}",
                "see each device's line below; printers: paper, cover, cable; pads: the bus "
                "cable and the address",
                details,
            )
        ]
    return [Result("reported-devices", "ok", f"{len(devices)} devices report ok", "", details)]
