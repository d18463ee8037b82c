"""`hall`: the appliance's one command."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from appliance import config
from appliance.cli.audit import audit_group
from appliance.cli.clock import clock_group
from appliance.cli.common import hold_database, load_config, open_reader, open_store
from appliance.cli.queue import queue
from appliance.devices import hub_trust
from appliance.ops.cli import commands as ops_commands
from counter_pad.cli import ROLE as PADS
from display.cli import ROLE as DISPLAY
from hall import __version__
from hall.clikit import (
    EXIT_STORE,
    AppHooks,
    config_option,
    emit,
    fail,
    handle_errors,
    json_option,
    require_role,
)
from hall.roles import RoleSpec
from hall.store.store import StoreError
from hub.cli import ROLE as HUB
from kiosk.cli import ROLE as KIOSK
from kiosk.settings import NO_TICKET_URL, TICKET_URL_FIX
from sync.cli import ROLE as SYNC

ROLES: tuple[RoleSpec, ...] = (HUB, KIOSK, DISPLAY, PADS, SYNC)
"""Every role this application runs; each registers its commands and config section."""

INIT_WITH_HUB = (
    "The hub loads the catalog and counters from the config itself when it starts: "
    "`systemctl restart hall-hub`"
)
REBUILD_WITH_HUB = (
    "The hub is the one writer: `systemctl stop hall-hub`, rebuild, then `systemctl start hall-hub`"
)


@click.group()
@click.version_option(__version__, prog_name="hall")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """The hall appliance: queue, kiosk, display, counter pads and the city link."""
    level = logging.WARNING - 10 * min(verbose, 2)
    from appliance.ops.journal import handler

    logging.basicConfig(level=level, handlers=[handler(sys.stderr)])
    ctx.obj = HOOKS


HOOKS = AppHooks(load=config.load, parse=config.parse, hub_trust=hub_trust)
"""The composed config, handed to the roles' commands through click's context."""

cli.add_command(queue)
cli.add_command(audit_group)
cli.add_command(clock_group)
for _role in ROLES:
    for _command in _role.commands:
        cli.add_command(_command)
for _command in ops_commands:
    cli.add_command(_command)


@cli.command("init")
@config_option
@json_option
@handle_errors
def init(config_path: str, as_json: bool) -> None:
    """Create the hall's database and load the catalog and counters from the config.

    Refused while the hub runs: it loads them itself when it starts (restart it instead)."""
    cfg = load_config(config_path)
    require_role(cfg, "hub", config_path)  # the database is the hub's
    _catalog, raw = cfg.load_catalog()
    created = not cfg.database_path.exists()
    cfg.database_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        hold_database(cfg, "`hall init`", INIT_WITH_HUB),
        open_store(cfg, must_exist=False) as store,
    ):
        outs = store.setup(raw, cfg.counters_wire())
        data = {
            "database": str(cfg.database_path),
            "created": created,
            "catalog_version": store.state.catalog.version,
            "services": len(store.state.catalog.services),
            "counters": len(store.state.counters),
            "changed": [o.result for o in outs],
        }
    emit(
        data,
        as_json,
        lambda: (
            f"{'created' if created else 'updated'} {data['database']}: "
            f"catalog v{data['catalog_version']} "
            f"({data['services']} services), {data['counters']} counters"
        ),
    )


@cli.command("events")
@click.option(
    "--since",
    "since",
    type=int,
    default=0,
    show_default=True,
    help="Print events with seq greater than this.",
)
@click.option("--limit", type=int, default=None, help="At most this many.")
@config_option
@handle_errors
def events(since: int, limit: int | None, config_path: str) -> None:
    """Print the event log as JSON lines (the audit trail, 台账)."""
    cfg = load_config(config_path)
    with open_reader(cfg) as reader:
        for i, e in enumerate(reader.iter_events(since)):
            if limit is not None and i >= limit:
                break
            click.echo(json.dumps(e.wire(), ensure_ascii=False))


@cli.group("report")
def report() -> None:
    """Figures for the hall manager."""


@report.command("day")
@click.option("--date", "day", help="The business day (YYYY-MM-DD); default: the latest.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder for the CSV files and the chart.",
)
@config_option
@json_option
@handle_errors
def report_day(day: str | None, out_dir: str, config_path: str, as_json: bool) -> None:
    """Tickets per service and hour, waiting and service times, no-shows, counters, staff,
    ratings: CSV files and a PNG chart."""
    from appliance import report as rpt

    cfg = load_config(config_path)
    with open_reader(cfg) as reader:
        if day:
            try:
                d = date.fromisoformat(day)
            except ValueError:
                fail(f"--date: '{day}' is not a date like 2026-11-27", 2)
        else:
            latest = reader.latest_ticket_day()
            if latest is None:
                fail("no tickets yet: nothing to report", 3)
            d = latest
        rep = rpt.build(reader, d, cfg.tz)
    files = rpt.write(rep, Path(out_dir), cfg.hall.name)
    emit(
        {"totals": rep.totals, "files": [str(f) for f in files]},
        as_json,
        lambda: "\n".join([json.dumps(rep.totals, ensure_ascii=False)] + [str(f) for f in files]),
    )


@cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare; change nothing.")
@config_option
@json_option
@handle_errors
def rebuild(check: bool, config_path: str, as_json: bool) -> None:
    """Rebuild the tables from the event log, and say whether they matched.

    Refused while the hub runs (it is the one writer): stop it first."""
    from hall.store.rebuild import compare_with_rebuild, replace_tables

    cfg = load_config(config_path)
    if not cfg.database_path.exists():
        raise StoreError(f"{cfg.database_path} does not exist: nothing to rebuild")
    with (
        hold_database(cfg, "`hall rebuild`", REBUILD_WITH_HUB),
        open_store(cfg) as store,
    ):
        diffs = compare_with_rebuild(store)
        unreadable = any(d.startswith("log:") for d in diffs)
        replaced = bool(diffs) and not check and not unreadable
        if replaced:
            replace_tables(store)
    data = {"matched": not diffs, "differences": diffs[:20], "replaced": replaced}
    emit(
        data,
        as_json,
        lambda: (
            "tables match the event log"
            if not diffs
            else f"{len(diffs)} difference(s){'; tables rebuilt' if replaced else ''}:\n"
            + "\n".join(diffs[:20])
        ),
    )
    if diffs and not replaced:
        sys.exit(1)


@cli.group("config")
def config_group() -> None:
    """Check a config file, or print its JSON Schema."""


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@handle_errors
def config_check(file: str) -> None:
    """Validate FILE (and its catalog) without starting anything. What works but is worth
    fixing is a warning on stderr (the exit code stays 0)."""
    cfg = config.load(file)
    catalog, _ = cfg.load_catalog()
    counters = f", {len(cfg.counters)} counters" if cfg.counters else ""
    click.echo(
        f"{file}: ok — hall {cfg.hall.id} {cfg.hall.name}, roles {' '.join(cfg.hall.roles)}"
        f"{counters}, catalog v{catalog.version} with {len(catalog.services)} services"
    )
    if cfg.has_role("kiosk") and not cfg.kiosk.ticket_url:
        click.echo(f"{file}: warning: {NO_TICKET_URL}; {TICKET_URL_FIX}", err=True)


@config_group.command("schema")
def config_schema() -> None:
    """Print the config's JSON Schema (config/hall.schema.json is this output)."""
    click.echo(json.dumps(config.json_schema(), ensure_ascii=False, indent=2))


@cli.command("demo")
@click.option("--headless", is_flag=True, help="No windows: simulate and write files.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for summary.json, the event log and the report.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--arrivals", type=int, default=1500, show_default=True, help="Citizens expected in the day."
)
@click.option(
    "--minutes",
    type=click.IntRange(1, 24 * 60),
    default=None,
    help="Simulate only this many minutes from 08:50 (default: the whole day).",
)
@click.option(
    "--bus",
    type=click.Choice(["inproc", "mqtt"]),
    default="inproc",
    show_default=True,
    help="The hall bus: in process, or a private Mosquitto on a free loopback port.",
)
@click.option(
    "--city",
    is_flag=True,
    help="Also run the city peer (its own Mosquitto, TLS) and the hall's city link: "
    "appointments booked in the city, checked in at the hall, every event acked.",
)
@handle_errors
def demo(
    headless: bool,
    out_dir: str | None,
    seed: int,
    arrivals: int,
    minutes: int | None,
    bus: str,
    city: bool,
) -> None:
    """Run a simulated day of a county hall on the sample catalog (no hardware, no cloud).

    On a desktop, without --headless: the kiosk and display in windows beside the day."""
    from appliance.sim.demo import run_demo

    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="hall-demo-"))
    if not headless:
        from appliance.sim.desktop import NoDesktop, run_desktop

        try:
            raise SystemExit(run_desktop(out, seed=seed, arrivals=arrivals, echo=click.echo))
        except NoDesktop as exc:
            click.echo(f"{exc}; running headless into {out}", err=True)
    summary = run_demo(
        out,
        seed=seed,
        arrivals=arrivals,
        minutes=minutes,
        bus=bus,  # type: ignore[arg-type]
        city=city,
        echo=click.echo,
    )
    click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    click.echo(f"\nwritten to {out}")


def main() -> None:
    try:
        cli(prog_name="hall")
    except sqlite3.DatabaseError as exc:
        fail(f"database error: {exc}", EXIT_STORE)
    except config.ConfigError as exc:
        fail(f"config error: {exc}", 2)
