"""`hall queue …`: run a hall's queue from a shell, without pads or kiosk.

Every command goes to the hub over the hall bus (`appliance.cli.hublink`), like a pad's or a
kiosk's: the hub is the one writer of the queue's database, announces the call and updates
the board. `hall queue status` reads the hub's retained state. Exit status: 0 done, 3 the
queue rules refused it, 5 the hub is not running or cannot be reached (nothing was done).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from appliance.cli.common import load_config
from appliance.cli.hublink import EXIT_HUB, HubDown, hub_link
from hall.clikit import EXIT_REFUSED, config_option, emit, fail, handle_errors, json_option
from hall.core import commands as c
from hall.core.model import Priority
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused


def _run(config_path: str, cmd: c.Command, as_json: bool, describe: Any) -> None:
    cfg = load_config(config_path)
    try:
        with hub_link(cfg) as link:
            result = link.run(cmd)
    except HubDown as exc:
        if as_json:
            click.echo(
                _json({"ok": False, "error": {"code": "hub_unreachable", "message": str(exc)}})
            )
        fail(str(exc), EXIT_HUB)
    except CommandRefused as exc:
        if as_json:
            err = {"code": exc.code, "message": exc.message}
            if exc.hint:
                err["hint"] = exc.hint
            click.echo(_json({"ok": False, "error": err}))
            sys.exit(EXIT_REFUSED)
        hint = f"（{exc.hint}）" if exc.hint else ""
        fail(f"{exc.message}{hint} [{exc.code}]", EXIT_REFUSED)
    emit({"ok": True, "result": result}, as_json, lambda: describe(result))


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


@click.group("queue")
def queue() -> None:
    """Issue and call tickets from the shell (staff and technicians), through the hub on the
    hall bus. Exit status: 3 refused by the queue rules; 5 the hub is not running or cannot be
    reached (nothing was done)."""


@queue.command("issue")
@click.argument("service")
@click.option(
    "--priority",
    type=click.Choice([p.value for p in Priority]),
    default="normal",
    help="绿色通道 class.",
)
@click.option("--appointment", "appointment_id", help="Check in this appointment instead.")
@config_option
@json_option
@handle_errors
def issue(
    service: str, priority: str, appointment_id: str | None, config_path: str, as_json: bool
) -> None:
    """Take a ticket for SERVICE (a service code such as SB-001)."""
    cmd: c.Command
    if appointment_id:
        cmd = c.CheckIn(appointment_id=appointment_id)
    else:
        cmd = c.IssueTicket(service=service.upper(), priority=Priority(priority))

    def text(r: dict[str, Any]) -> str:
        est = "未知" if r.get("est_wait_min") is None else f"约 {r['est_wait_min']} 分钟"
        return f"{r['number']}  {r['service_name']}  前面 {r['waiting_ahead']} 人，预计等候 {est}"

    _run(config_path, cmd, as_json, text)


def _called(r: dict[str, Any]) -> str:
    why = r.get("reason", {}).get("why", "")
    return f"请 {r['number']} 号到 {r['counter_name']}" + (f"  （{why}）" if why else "")


def _done(verb: str) -> Any:
    return lambda r: f"{r.get('number', '')} {verb}".strip()


def _counter_cmd(name: str, factory: Any, describe: Any, help_text: str) -> None:
    @queue.command(name, help=help_text)
    @click.argument("counter")
    @config_option
    @json_option
    @handle_errors
    def cmd(counter: str, config_path: str, as_json: bool) -> None:
        _run(config_path, factory(counter), as_json, describe)


_counter_cmd("recall", c.Recall, _called, "Call the ticket in hand again.")
_counter_cmd("skip", c.Skip, _done("已过号"), "过号: the called citizen did not come.")
_counter_cmd("hold", c.Hold, _done("已挂起"), "挂起: set the ticket in hand aside.")
_counter_cmd("start", c.Start, _done("开始办理"), "Start serving the called ticket.")
_counter_cmd("finish", c.Finish, _done("已办结"), "Finish the ticket in hand.")
_counter_cmd("pause", c.Pause, lambda r: f"{r['counter']} 号窗口已暂停", "Pause the counter.")
_counter_cmd("resume", c.Resume, lambda r: f"{r['counter']} 号窗口已恢复", "Resume the counter.")
_counter_cmd("signout", c.SignOut, lambda r: f"{r['counter']} 号窗口已签退", "Sign out.")


@queue.command("call")
@click.argument("counter")
@click.option("--number", help="Call this ticket number instead of the next.")
@config_option
@json_option
@handle_errors
def call(counter: str, number: str | None, config_path: str, as_json: bool) -> None:
    """Call the next ticket at COUNTER (or --number A012)."""
    cmd: c.Command = c.CallNumber(counter, number) if number else c.CallNext(counter)
    _run(config_path, cmd, as_json, _called)


@queue.command("callback")
@click.argument("counter")
@click.option("--number", help="Which held ticket (default: the oldest).")
@config_option
@json_option
@handle_errors
def callback(counter: str, number: str | None, config_path: str, as_json: bool) -> None:
    """Call a held (挂起) ticket back to COUNTER."""
    _run(config_path, c.CallBack(counter, number), as_json, _called)


@queue.command("signin")
@click.argument("counter")
@click.argument("staff")
@config_option
@json_option
@handle_errors
def signin(counter: str, staff: str, config_path: str, as_json: bool) -> None:
    """Sign STAFF (a staff number) in at COUNTER."""
    _run(
        config_path,
        c.SignIn(counter, staff),
        as_json,
        lambda r: f"工号 {r['staff']} 已在 {r['counter']} 号窗口签到",
    )


@queue.command("transfer")
@click.argument("counter")
@click.option("--service", "to_service", help="To this service code.")
@click.option("--to-counter", "to_counter", help="To this counter.")
@config_option
@json_option
@handle_errors
def transfer(
    counter: str, to_service: str | None, to_counter: str | None, config_path: str, as_json: bool
) -> None:
    """Transfer the ticket in hand at COUNTER to another service or counter."""
    _run(
        config_path,
        c.Transfer(counter, to_service, to_counter),
        as_json,
        lambda r: f"{r['number']} 已转至 {r['to_service'] or str(r['to_counter']) + ' 号窗口'}",
    )


@queue.command("reinstate")
@click.argument("number")
@config_option
@json_option
@handle_errors
def reinstate(number: str, config_path: str, as_json: bool) -> None:
    """Put a skipped (过号) ticket back in the queue."""
    _run(config_path, c.Reinstate(number), as_json, _done("已恢复排队"))


@queue.command("evaluate")
@click.argument("counter")
@click.argument("rating", type=click.IntRange(1, 5))
@click.option("--number", help="Which ticket (default: the last finished at COUNTER).")
@config_option
@json_option
@handle_errors
def evaluate(
    counter: str, rating: int, number: str | None, config_path: str, as_json: bool
) -> None:
    """Record a citizen's rating (1–5) for the last ticket finished at COUNTER."""
    _run(
        config_path,
        c.Evaluate(counter, rating, number),
        as_json,
        lambda r: f"{r['number']} 评价 {r['rating']} 分",
    )


@queue.command("close-day")
@config_option
@json_option
@handle_errors
def close_day(config_path: str, as_json: bool) -> None:
    """Close the business day now (open tickets are closed by the day-close rule)."""
    _run(
        config_path,
        c.CloseDay(),
        as_json,
        lambda r: f"{r['day']} 已结束：取号 {r['issued']}，办结 {r['finished']}",
    )


@queue.command("status")
@config_option
@json_option
@handle_errors
def status(config_path: str, as_json: bool) -> None:
    """Waiting counts, estimated waits and counters, as the hub last published them."""
    cfg = load_config(config_path)
    try:
        data = _hub_state(cfg)
    except HubDown as exc:
        fail(str(exc), EXIT_HUB)

    def text() -> str:
        lines = [
            f"{cfg.hall.name} ({data['hall_id']})  营业日 {data['day'] or '未开始'}"
            f"  seq {data['last_seq']}"
        ]
        lines.append("业务                         等候  预计(分)  开放窗口")
        for s in data["services"]:
            est = "-" if s["est_wait_min"] is None else str(s["est_wait_min"])
            lines.append(
                f"  {s['code']:<9} {s['name']:<14} {s['waiting']:>4}  {est:>6}"
                f"  {s['open_counters']:>4}"
            )
        lines.append("窗口")
        for cv in data["counters"]:
            cur = (
                cv["current"]["number"] + " " + cv["current"]["state_zh"] if cv["current"] else "-"
            )
            lines.append(
                f"  {cv['name']:<8} {cv['state']:<7} 工号 {cv['staff'] or '-':<6}"
                f" 在办 {cur:<12} 等候 {cv['waiting']}"
            )
        return "\n".join(lines)

    emit(data, as_json, text)
    if data["hub"] != "up":
        fail(
            f"集中控制(hub)未运行：以上是它最后发布的状态。The hub is {data['hub'] or 'not seen'}"
            " on the hall bus: this is the last state it published (check `systemctl status "
            "hall-hub`)",
            EXIT_HUB,
        )


def _hub_state(cfg: Any) -> dict[str, Any]:
    """The board and every counter's state from the hub's retained messages."""
    with hub_link(cfg) as link:
        cache = link.state((p.BOARD, p.COUNTER_PATTERN))
        board = cache.wait_for(p.BOARD, link.timeout)
        if board is None:
            raise HubDown(
                "集中控制(hub)未运行：没有大厅状态。No hall state on the hall bus at "
                f"{link.where}: the hub has not published since the broker started "
                "(check `systemctl status hall-hub`)"
            )
        counters = []
        for entry in board.get("counters", []):
            view = cache.wait_for(p.counter_topic(str(entry["counter"])), link.timeout)
            if view is not None:
                counters.append(view)
        return {
            "hall_id": board.get("hall_id"),
            "day": board.get("day"),
            "last_seq": board.get("seq"),
            "services": board.get("services", []),
            "counters": counters,
            "calls": board.get("calls", []),
            "hub": link.hub_status,
        }
