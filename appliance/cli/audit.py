"""`hall audit …`: is the 台账 intact, and going on after a loss.

    hall audit verify [--json]        the hash chain, gaps, unreadable rows, the tables
    hall audit accept-loss [--yes]    go on with a database that lost confirmed events

Both work on the database file: verify reads it (also while the hub runs), accept-loss
writes it and therefore needs the hub stopped.
"""

from __future__ import annotations

import sys

import click

from appliance.cli.common import hold_database, load_config, open_store
from hall.clikit import (
    EXIT_REFUSED,
    EXIT_STORE,
    config_option,
    emit,
    fail,
    handle_errors,
    json_option,
)
from hall.core import commands as c
from hall.store.db import open_db
from hall.store.head import HeadFileError, head_path, read_head
from hall.store.integrity import audit, startup_check
from hall.store.rebuild import compare_with_rebuild
from hall.store.store import StoreError


@click.group("audit")
def audit_group() -> None:
    """The event log's integrity (安全审计): verify it, or go on after a loss."""


@audit_group.command("verify")
@config_option
@json_option
@handle_errors
def verify(config_path: str, as_json: bool) -> None:
    """Check the whole log: hash chain, gaps, unreadable rows, and the tables against it.
    Exit 0 when intact; 1 naming the first event that broke."""
    cfg = load_config(config_path)
    path = cfg.database_path
    if not path.exists():
        raise StoreError(f"{path} does not exist: nothing to verify")
    conn = open_db(path, readonly=True)
    try:
        report = audit(conn)
    finally:
        conn.close()
    start = [f for f in startup_check(path) if f.code in ("events_lost", "head_mismatch")]
    tables: list[str] = []
    if not report.findings:
        with open_store(cfg) as store:  # read only: nothing is executed
            tables = compare_with_rebuild(store)
    findings = [*report.findings, *start]
    data = {
        "events": report.events,
        "intact": not findings and not tables,
        "findings": [{"code": f.code, "seq": f.seq, "message": f.message} for f in findings],
        "table_differences": tables[:20],
    }

    def text() -> str:
        if data["intact"]:
            return f"intact: {report.events} events, hash chain unbroken, tables match the log"
        lines = [f"seq {f.seq}: {f.message}" if f.seq else f.message for f in findings]
        lines += [f"tables: {d}" for d in tables[:20]]
        first = next((f.seq for f in findings if f.seq), None)
        head = f"NOT intact: first break at seq {first}" if first else "NOT intact"
        return "\n".join([head, *lines])

    emit(data, as_json, text)
    if not data["intact"]:
        sys.exit(1)


@audit_group.command("accept-loss")
@click.option("--yes", is_flag=True, help="Do it (without: say what would be done).")
@config_option
@json_option
@handle_errors
def accept_loss(yes: bool, config_path: str, as_json: bool) -> None:
    """Go on with a database that lost confirmed events (the hub refuses it at start): the
    log continues after the last event the hub had confirmed, with numbers above those it
    had reserved, so no ticket number is issued twice. The lost events stay lost: restore
    the database from a backup instead if you can."""
    cfg = load_config(config_path)
    try:
        head = read_head(head_path(cfg.database_path))
    except HeadFileError as exc:
        fail(str(exc), EXIT_STORE)
    if head is None:
        fail(f"{head_path(cfg.database_path)}: no head file: nothing is known lost", EXIT_REFUSED)
    with (
        hold_database(cfg, "`hall audit accept-loss`", "Stop the hub first"),
        open_store(cfg) as store,
    ):
        last = store.state.last_seq
        if head.seq <= last:
            fail(f"nothing lost: the log reaches {last}, the head file {head.seq}", EXIT_REFUSED)
        plan = {
            "database_ends_at": last,
            "confirmed_through": head.seq,
            "lost": head.seq - last,
            "numbers_reserved": {"day": head.day, **head.reserved},
        }
        if not yes:
            emit(
                {**plan, "done": False},
                as_json,
                lambda: (
                    f"events {last + 1}–{head.seq} ({head.seq - last}) were confirmed and are "
                    f"lost; numbering on {head.day} would go on above {head.reserved}. "
                    "Run again with --yes to accept the loss."
                ),
            )
            return
        out = store.execute(c.AcceptLoss(head.seq, head.day, dict(head.reserved)))
        store.keep_head()  # the head file now agrees with the database
    emit(
        {**plan, "done": True, "result": out.result},
        as_json,
        f"accepted: the log goes on at {head.seq + 1}; restart the hub (systemctl start hall-hub)",
    )
