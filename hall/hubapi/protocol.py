"""The hall bus protocol between the hub and the roles: topics, commands, replies.

Written down for people in docs/hall-bus.asyncapi.yaml; the JSON Schemas every message is
checked against are in `hall/hubapi/schema/hall-bus.schema.json`.

- Commands are requests on `hall/v1/cmd/<device>/<name>` (MQTT 5 response topic + correlation data):
  `{"key": "<idempotency key>", "ttl_ms": <how long the requester waits>, "args": {...}}`.
  The reply is `{"ok": true, "result": {...}, "duplicate": false}` or
  `{"ok": false, "error": {"code": ..., "message": <Chinese>, "hint": ...}}`.
- State is retained: `hall/v1/state/board`, `hall/v1/state/counter/<id>`,
  `hall/v1/state/catalog`, `hall/v1/state/roles`, `hall/v1/state/devices`.
- Live events (never retained): `hall/v1/event/call` for each call and recall.
- Presence: each role's retained `hall/v1/presence/<client id>`, with a will message.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from hall.core import commands as c
from hall.core import results as rs
from hall.core.model import Priority

PREFIX: Final = "hall/v1/"
CMD_PREFIX: Final = PREFIX + "cmd/"
CMD_PATTERN: Final = CMD_PREFIX + "+/+"  # hall/v1/cmd/<device>/<command>
BOARD: Final = PREFIX + "state/board"
CATALOG: Final = PREFIX + "state/catalog"
ROLES: Final = PREFIX + "state/roles"
DEVICES: Final = PREFIX + "state/devices"
NEARBY: Final = PREFIX + "state/nearby"
COUNTER_PREFIX: Final = PREFIX + "state/counter/"
COUNTER_PATTERN: Final = COUNTER_PREFIX + "+"
CALL_EVENT: Final = PREFIX + "event/call"
PROGRESS_EVENT: Final = PREFIX + "event/progress"
PRESENCE_PREFIX: Final = PREFIX + "presence/"
PRESENCE_PATTERN: Final = PRESENCE_PREFIX + "+"

ROLE_KINDS: Final = ("hub", "kiosk", "display", "pads", "sync", "tool")

COMMANDS: Final[dict[str, type[Any]]] = {
    "issue": c.IssueTicket,
    "confirm_printed": c.ConfirmPrinted,
    "void": c.VoidTicket,
    "check_in": c.CheckIn,
    "sign_in": c.SignIn,
    "sign_out": c.SignOut,
    "pause": c.Pause,
    "resume": c.Resume,
    "call_next": c.CallNext,
    "call_number": c.CallNumber,
    "recall": c.Recall,
    "skip": c.Skip,
    "reinstate": c.Reinstate,
    "start": c.Start,
    "finish": c.Finish,
    "hold": c.Hold,
    "call_back": c.CallBack,
    "transfer": c.Transfer,
    "evaluate": c.Evaluate,
    "report_device": c.ReportDevice,
    "apply_appointment": c.ApplyAppointment,
    "apply_catalog": c.ApplyCatalog,
    "close_day": c.CloseDay,
    "issue_remote": c.IssueRemote,
    "mark_arrived": c.MarkArrived,
    "watch": c.Watch,
}
"""Wire name → core command. The schema of each one's `args` is `<name>_args`."""

RESULTS: Final[dict[str, type[rs.Result]]] = {name: cls.RESULT for name, cls in COMMANDS.items()}
"""Wire name → the result record its reply carries. Its schema is `<name>_result`."""

NAMES: Final = {cls: name for name, cls in COMMANDS.items()}

# Error codes of the hub itself (the queue core's refusal codes travel as they are).
INVALID_REQUEST: Final = "invalid_request"
UNKNOWN_COMMAND: Final = "unknown_command"
HUB_FAULT: Final = "hub_fault"
FORBIDDEN: Final = "forbidden"


def cmd_topic(device: str, name: str) -> str:
    """Where `device` sends command `name`: the broker lets a device publish under its own
    id only, so the hub knows who asks."""
    return f"{CMD_PREFIX}{device}/{name}"


def parse_cmd_topic(topic: str) -> tuple[str, str] | None:
    """(device, command) of a command topic; None for anything else."""
    rest = topic[len(CMD_PREFIX) :] if topic.startswith(CMD_PREFIX) else ""
    device, sep, name = rest.partition("/")
    if not sep or not device or not name or "/" in name:
        return None
    return device, name


def counter_topic(counter_id: str) -> str:
    return COUNTER_PREFIX + counter_id


def presence_topic(client_id: str) -> str:
    return PRESENCE_PREFIX + client_id


def build_command(name: str, args: dict[str, Any]) -> Any:
    """The core command for a request whose `args` already passed the schema."""
    cls = COMMANDS[name]
    kwargs = dict(args)
    if cls in (c.IssueTicket, c.IssueRemote) and "priority" in kwargs:
        kwargs["priority"] = Priority(kwargs["priority"])
    return cls(**kwargs)


def command_args(cmd: Any) -> tuple[str, dict[str, Any]]:
    """The wire name and args of a core command (what a client sends); defaults left out."""
    name = NAMES[type(cmd)]
    args: dict[str, Any] = {}
    for f in dataclasses.fields(cmd):
        value = getattr(cmd, f.name)
        if value == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
            continue
        args[f.name] = value.value if isinstance(value, Priority) else value
    return name, args


def ok_reply(result: dict[str, Any], duplicate: bool = False) -> dict[str, Any]:
    return {"ok": True, "result": result, "duplicate": duplicate}


def error_reply(code: str, message: str, hint: str = "") -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if hint:
        err["hint"] = hint
    return {"ok": False, "error": err}
