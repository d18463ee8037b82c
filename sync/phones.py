"""云叫号, city → hall: the phones' requests applied through the hub (contract v1.1 "Remote
tickets and ticket progress").

Each message is stored in sync's inbox first (`sync.citymessages`) and applied here by the
applier's thread (`sync.inbound.Applier`), so a crash at any moment applies it later:

- `ticket-request` → the hub's `issue_remote` under the idempotency key `remote/<request_id>`
  with the request's `expires`; the hub answers the same request again with the same result
  (a ticket, or the same refusal), so a replay, a duplicate or a SIGKILL between the ticket
  and its result never makes a second ticket. The result goes up on `ticket-result`; the
  inbox item is finished only once the city broker acknowledged it (PUBACK), so a result lost
  with the link or the process is sent again (the same one: the city applies it once).
- `ticket-arrived` → `mark_arrived` (how `geofence`);
- `watch` → `watch`, and the ticket's last known progress at once (`sync.progress`).
A request whose `expires` has passed when the hub applies it is refused `expired` by the
core (hall/core/decide/remote.py): no ticket for a citizen who gave up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from hall.hubapi.client import CommandRefused
from hall.mqttvalues import Ack
from sync import wire
from sync.inbound import HubPort, NotSent
from sync.state import InboxItem, SyncState

log = logging.getLogger(__name__)

KINDS = ("ticket-request", "ticket-arrived", "watch")
RESULT_ACK_TIMEOUT_S = 5.0
OK_FIELDS = ("ticket_id", "number", "service", "waiting_ahead", "est_wait_min", "arrive_by")


Send = Callable[[str, bytes], Ack | None]  # topic, payload → the PUBACK's Ack


class Watched(Protocol):
    """The progress relay, as a new watch asks it for what it knows of a ticket."""

    def resend(self, ticket_id: str) -> bool: ...


def unix_time(text: str) -> float:
    """An RFC 3339 time with offset (the schema checked its form) as Unix seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def issue_args(req: dict[str, Any]) -> dict[str, Any]:
    """The hub's `issue_remote` arguments for a valid `ticket-request`."""
    args: dict[str, Any] = {
        "request_id": req["request_id"],
        "service": req["service"],
        "expires": unix_time(req["expires"]),
    }
    if req.get("priority"):
        args["priority"] = req["priority"]
    citizen = req.get("citizen") or {}
    for k in ("id_hash", "phone_tail", "name_masked"):
        if citizen.get(k):
            args[k] = citizen[k]
    return args


def ok_result(request_id: str, res: dict[str, Any]) -> dict[str, Any]:
    return {"v": 1, "request_id": request_id, "ok": True, **{k: res[k] for k in OK_FIELDS}}


def refused_result(request_id: str, code: str, message: str) -> dict[str, Any]:
    return {"v": 1, "request_id": request_id, "ok": False, "code": code, "reason": message[:200]}


class PhoneDesk:
    """The inbox handlers for the three phone topics (`handlers()` for `Applier`)."""

    def __init__(
        self,
        hall_id: str,
        state: SyncState,
        hub: HubPort,
        send: Send,
        *,
        hub_timeout_s: float,
        watched: Watched | None = None,
        ack_timeout_s: float = RESULT_ACK_TIMEOUT_S,
    ) -> None:
        self.hall_id = hall_id
        self.state = state
        self.hub = hub
        self._send = send
        self.hub_timeout_s = hub_timeout_s
        self.watched = watched
        self.ack_timeout_s = ack_timeout_s

    def handlers(self) -> dict[str, Callable[[InboxItem], None]]:
        return {
            "ticket-request": self._request,
            "ticket-arrived": self._arrived,
            "watch": self._watch,
        }

    # --- ticket-request → ticket-result -------------------------------------------------

    def _request(self, item: InboxItem) -> None:
        req = item.payload
        rid = str(req["request_id"])
        try:
            res = self.hub.execute(
                "issue_remote",
                issue_args(req),
                key=f"remote/{rid}",
                timeout=self.hub_timeout_s,
            )
            result = ok_result(rid, res)
        except CommandRefused as r:
            result = refused_result(rid, r.code, r.message)
        self._reply(result)  # NotSent: the item stays, and is applied again
        if result["ok"]:
            self.state.count("remote_issued")
            note = "issued"
        else:
            self.state.count(f"remote_refused_{result['code']}"[:60])
            log.info("ticket request refused by the hall: %s", result["code"])
            note = f"refused {result['code']}"
        self.state.finish_inbox(item.id, note=note)

    def _reply(self, result: dict[str, Any]) -> None:
        ack = self._send(wire.up(self.hall_id, "ticket-result"), wire.encode(result))
        if ack is None or not ack.wait(self.ack_timeout_s) or not ack.ok:
            self.state.count("ticket_results_unsent")
            why = "link down" if ack is None else (ack.reason if ack.done else "no PUBACK")
            log.info("a ticket result was not acknowledged (%s); it is sent again", why)
            raise NotSent(why)

    # --- ticket-arrived, watch ---------------------------------------------------------

    def _arrived(self, item: InboxItem) -> None:
        tid = str(item.payload["ticket_id"])
        note = self._hub(
            "mark_arrived",
            {"how": "geofence", "ticket_id": tid},
            f"geofence/{tid}/{item.id}",
            "arrivals",
        )
        self.state.finish_inbox(item.id, note=note)

    def _watch(self, item: InboxItem) -> None:
        tid = str(item.payload["ticket_id"])
        note = self._hub("watch", {"ticket_id": tid}, f"watch/{tid}/{item.id}", "watches")
        if note == "done" and self.watched is not None:
            self.watched.resend(tid)  # a ticket followed already: its progress at once
        self.state.finish_inbox(item.id, note=note)

    def _hub(self, name: str, args: dict[str, Any], key: str, counter: str) -> str:
        try:
            self.hub.execute(name, args, key=key, timeout=self.hub_timeout_s)
        except CommandRefused as r:
            self.state.count(f"{counter}_refused")
            self.state.refuse(name, r.code, "the hub refused it")
            log.info("the hub refused the city's %s: %s", name, r.code)
            return f"refused {r.code}"
        self.state.count(counter)
        return "done"
