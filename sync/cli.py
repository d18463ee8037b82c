"""`hall sync`: the city link. `hall sync --config FILE` runs it; `hall sync status` shows what
a technician needs (backlog, acks, the link's faults, events the city rejected, refused
messages); `hall sync clear FAULT` clears a fault a person has looked at (`ack_ahead`);
`hall sync city-peer …` runs the reference city side for tests and demos."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from datetime import datetime
from typing import Any

import click

from hall.clikit import config_option, emit, handle_errors, hooks, json_option, load_config
from hall.roles import RoleSpec
from sync.settings import SyncSection


@click.group("sync", invoke_without_command=True)
@config_option
@click.pass_context
@handle_errors
def command(ctx: click.Context, config_path: str) -> None:
    """The city link: events up, appointments, catalog and config down (runs until stopped)."""
    if ctx.invoked_subcommand is not None:
        return
    from sync.service import SyncService

    cfg = load_config(config_path)
    if not cfg.sync.enabled:
        click.echo("sync is disabled in the config ([sync] enabled = false)", err=True)
        return
    service = SyncService(cfg, validate_config=hooks().parse).start()
    done = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from hall import heap
    from hall import sdnotify as notify

    heap.settle()
    notify.ready("sync: hall bus joined")  # never waits for the city: the hall works without
    max_age = notify.age_limit(30.0)
    with notify.Watchdog(lambda: service.alive(max_age)):
        while not done.wait(1.0):
            pass
    notify.stopping("sync: stopping")
    service.stop()


def _ts(v: float | None) -> str:
    return datetime.fromtimestamp(v).isoformat(timespec="seconds") if v else "-"


@command.command("status")
@config_option
@json_option
@click.option("--limit", default=50, show_default=True, help="Rejected events shown at most.")
@handle_errors
def status(config_path: str, as_json: bool, limit: int) -> None:
    """What the city acked, the backlog, the link's faults, rejected events and refused
    messages."""
    from sync.faults import FIX
    from sync.inbound import CONFIG_VERSION, CURSOR
    from sync.outbox import Outbox, OutboxUnavailable
    from sync.state import SyncState

    cfg = load_config(config_path)
    path = cfg.base / cfg.sync.state_file
    if not path.exists():
        emit(
            {"hall_id": cfg.hall.id, "state_file": str(path), "ran": False},
            as_json,
            f"sync has not run on this box yet (no {path})",
        )
        return
    state = SyncState(path, readonly=True)
    try:
        try:
            top: int | None = Outbox(cfg.database_path).max_seq()
        except OutboxUnavailable:
            top = None
        acked = state.acked
        rejected = state.rejected(limit)
        data: dict[str, Any] = {
            "hall_id": cfg.hall.id,
            "last_seq": top,
            "acked_through": acked,
            "backlog": None if top is None else max(0, top - acked),
            "appointments_cursor": state.get_int(CURSOR),
            "config_version": state.get_int(CONFIG_VERSION),
            "inbox_pending": state.pending_inbox(),
            "counters": state.counters(),
            "faults": [
                {
                    "fault": f.name,
                    "active": f.active,
                    "detail": f.detail,
                    "count": f.count,
                    "since": f.since,
                    "last": f.last,
                }
                for f in state.faults()
            ],
            "rejected": rejected,
            "refused": state.refused(20),
        }
    finally:
        state.close()

    def text() -> str:
        lines = [
            f"hall {data['hall_id']}: last event {top if top is not None else '?'}, "
            f"acked by the city through {acked}, backlog {data['backlog']}",
            f"appointments cursor {data['appointments_cursor']}, "
            f"city config version {data['config_version']}, "
            f"city messages waiting for the hub {data['inbox_pending']}",
        ]
        faults: list[dict[str, Any]] = data["faults"]
        active = [f for f in faults if f["active"]]
        lines.append(f"city link faults ({len(active)}):")
        for f in faults:
            if f["active"]:
                lines.append(
                    f"  FAULT {f['fault']} since {_ts(f['since'])} ({f['count']} times, "
                    f"last {_ts(f['last'])}): {f['detail']}"
                )
                lines.append(f"    what to do: {FIX.get(f['fault'], 'see docs/CITY_SYNC.md')}")
        lines += [] if active else ["  none"]
        past = [f for f in faults if not f["active"]]
        lines += [
            f"  (cleared: {f['fault']}, {f['count']} times, last {_ts(f['last'])})" for f in past
        ]
        if data["counters"]:
            lines.append("counters: " + ", ".join(f"{k}={v}" for k, v in data["counters"].items()))
        lines.append(f"events the city rejected ({len(rejected)}):")
        lines += [f"  seq {r['seq']}: {r['code']} {r['reason']}" for r in rejected] or ["  none"]
        refused: list[dict[str, Any]] = data["refused"]
        lines.append(f"city messages refused (last {len(refused)}):")
        lines += [
            f"  {_ts(r['at'])} {r['kind']}: {r['reason']} {r['detail']}" for r in refused
        ] or ["  none"]
        return "\n".join(lines)

    emit(data, as_json, text)


@command.command("clear")
@config_option
@click.argument("fault", type=click.Choice(["ack_ahead", "not_authorized", "certificate_cn"]))
@handle_errors
def clear(config_path: str, fault: str) -> None:
    """Clear a city-link fault once a person has looked at it (ack_ahead stays until then).
    The running sync reports the device recovered to the hub; a cause still there raises the
    fault again."""
    from sync.state import SyncState

    cfg = load_config(config_path)
    path = cfg.base / cfg.sync.state_file
    if not path.exists():
        click.echo(f"sync has not run on this box yet (no {path})")
        return
    state = SyncState(path)
    try:
        was = state.clear_fault(fault)
    finally:
        state.close()
    click.echo(f"{fault}: cleared" if was else f"{fault}: was not active")


@command.group("city-peer")
def city_peer() -> None:
    """The reference city platform (tests and demos, not a production cloud)."""


@city_peer.command("pki")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--hall", "halls", multiple=True, help="A hall id to make a certificate for.")
def pki(folder: str, halls: tuple[str, ...]) -> None:
    """Make a test CA, the broker's certificate and client certificates in FOLDER."""
    from pathlib import Path

    from sync.city_peer.pki import PLATFORM_CN, make_pki

    made = make_pki(Path(folder), clients=(PLATFORM_CN, *halls))
    click.echo(f"CA {made.ca}; broker {made.server.cert}")
    for cn, ident in made.clients.items():
        click.echo(f"{cn}: {ident.cert} {ident.key}")


@city_peer.command("serve")
@click.option("--db", default="city.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8883, show_default=True, type=int)
@click.option("--pki", "pki_dir", type=click.Path(file_okay=False), help="TLS from this folder.")
@click.option("--broker/--no-broker", default=False, help="Also run a city Mosquitto here.")
@click.option("--directory", type=click.Path(dir_okay=False), help="Directory JSON to publish.")
@click.option("--offline", is_flag=True, help="Say the cloud is offline (halls hold backlog).")
def serve(
    db: str,
    host: str,
    port: int,
    pki_dir: str | None,
    broker: bool,
    directory: str | None,
    offline: bool,
) -> None:
    """Run the city peer; commands on standard input (type `help`)."""
    from pathlib import Path

    from hall.mqttvalues import TlsFiles
    from sync.city_peer.node import CityPeer

    tls = None
    city_broker = None
    if pki_dir:
        from sync.city_peer.pki import PLATFORM_CN

        d = Path(pki_dir)
        tls = TlsFiles(
            str(d / "city-ca.pem"), str(d / f"{PLATFORM_CN}.crt"), str(d / f"{PLATFORM_CN}.key")
        )
    if broker:
        from sync.city_peer.broker import CityBroker
        from sync.city_peer.pki import Pki

        pki_obj = None
        if pki_dir:
            d = Path(pki_dir)
            from sync.city_peer.pki import Identity

            pki_obj = Pki(d, d / "city-ca.pem", Identity(d / "broker.crt", d / "broker.key"))
        city_broker = CityBroker(Path(db).parent / "city-broker", pki=pki_obj, port=port).start()
        click.echo(f"city broker on {host}:{port} ({'TLS' if pki_obj else 'plain'})")
    dir_data = json.loads(Path(directory).read_text("utf-8")) if directory else None
    peer = CityPeer(
        Path(db), host=host, port=port, tls=tls, online=not offline, directory=dir_data
    ).start()
    if not peer.wait_connected(10):
        click.echo("could not reach the city broker", err=True)
    click.echo("city peer running; type `help` for commands, Ctrl-D to stop")
    try:
        for line in sys.stdin:
            out = console(peer, line)
            if out:
                click.echo(out)
    except KeyboardInterrupt:
        pass
    finally:
        peer.stop()
        if city_broker is not None:
            city_broker.close()


HELP = """commands:
  book HALL SERVICE DATE HH:MM HH:MM     book an appointment
  reschedule ID HH:MM HH:MM [DATE]       move it (a new version)
  cancel ID                              cancel it (a check-in at the hall still stands)
  online | offline                       the cloud status halls see
  resend HALL FROM_SEQ                   ask a hall to send events again
  hall HALL                              what the city has from that hall
  wait SECONDS                           pause (for scripts)"""


def console(peer: Any, line: str) -> str:
    """One console command for the running peer; returns what to print."""
    words = line.split()
    if not words:
        return ""
    cmd, args = words[0], words[1:]
    core = peer.core
    try:
        if cmd == "book" and len(args) == 5:
            return json.dumps(core.book(*args), ensure_ascii=False)
        if cmd == "reschedule" and len(args) in (3, 4):
            date = args[3] if len(args) == 4 else None
            ch = core.reschedule(args[0], slot_start=args[1], slot_end=args[2], date=date)
            return json.dumps(ch, ensure_ascii=False)
        if cmd == "cancel" and len(args) == 1:
            return json.dumps(core.cancel(args[0]), ensure_ascii=False)
        if cmd in ("online", "offline"):
            peer.set_online(cmd == "online")
            return f"cloud {cmd}"
        if cmd == "resend" and len(args) == 2:
            core.resend(args[0], int(args[1]))
            return "sent"
        if cmd == "hall" and len(args) == 1:
            info = peer.store.hall(args[0])
            info["events"] = peer.store.event_count(args[0])
            info["rejected"] = peer.store.rejected(args[0])
            return json.dumps(info, ensure_ascii=False, default=str)
        if cmd == "wait" and len(args) == 1:
            time.sleep(float(args[0]))
            return ""
    except (KeyError, ValueError) as exc:
        return f"error: {exc}"
    return HELP


ROLE = RoleSpec(name="sync", section=SyncSection, commands=(command,))
