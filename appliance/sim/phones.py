"""`hall demo --city`: citizens who take their number from a phone (云叫号).

A share of the day's citizens book through the city's mini-program (the product's city peer,
`sync.city_peer.phones`) instead of at the kiosk: the request goes down the city link, sync
asks the hub (`issue_remote`), the result comes back up. They leave home then and arrive
later, found by the city's geofence (`ticket-arrived`): most within the hour the hall gives
them, some late, a few never (the hub cancels those as no-shows at `arrive_by`). The phone
follows the ticket (`ticket-progress`); the summary says what the city saw:

- remote tickets issued / arrived / no-show, requests refused by code;
- reminders: tickets that got the "即将到号" (`approaching`) message;
- the reminder's lead time: minutes from that message (its `at`) to the ticket's first call
  (from the hall's event log), p10 / p50 / p90; the goal is p10 ≥ 5 minutes;
- the estimate's error at issue for remote tickets (estimate minus the actual wait to the
  first call), as for every ticket.
Each booking and arrival waits for its answer, so the simulated clock does not run ahead.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.local import LocalHall
from appliance.sim.day import error_figures
from hall.core.timekeeping import FixedClock
from sync.city_peer.phones import CityPhones

ANSWER_TIMEOUT_S = 15.0
HOUSEKEEP_EVERY_S = 60.0


@dataclass(frozen=True)
class PhonePlan:
    share: float = 0.2  # of the day's citizens, from a phone
    travel_min: tuple[float, float] = (8.0, 40.0)  # from booking to the hall, most of them
    late_rate: float = 0.15  # arrive late: after most would have been called
    late_min: tuple[float, float] = (40.0, 58.0)
    never_rate: float = 0.05  # never come (no-show at arrive_by)


class PhoneCitizens:
    """The simulation's phone port (`appliance.sim.day.PhonePort`)."""

    def __init__(
        self,
        phones: CityPhones,
        hall: LocalHall,
        clock: FixedClock,
        *,
        seed: int,
        plan: PhonePlan = PhonePlan(),
    ) -> None:
        self.phones = phones
        self.hall = hall
        self.hall_id = hall.cfg.hall.id
        self.clock = clock
        self.plan = plan
        self.share = plan.share
        self._rng = random.Random(seed * 7919 + 17)
        self.refused: Counter[str] = Counter()
        self.issued: dict[str, str] = {}  # ticket id → number
        self.arrivals = 0
        self.unanswered = 0
        self._housekept = 0.0

    def book(self, service: str, priority: str) -> dict[str, Any] | None:
        """A citizen asks for a number; the ok result, or None (refused: the citizen walks in)."""
        tail = f"{self._rng.randrange(10_000):04d}"
        rid = self.phones.request(
            self.hall_id, service, priority=priority, citizen={"phone_tail": tail}
        )
        got = self.phones.wait_result(rid, ANSWER_TIMEOUT_S)
        if got is None:
            self.unanswered += 1
            return None
        if not got["ok"]:
            self.refused[str(got["code"])] += 1
            return None
        self.issued[str(got["ticket_id"])] = str(got["number"])
        return got

    def arrival_delay(self) -> float | None:
        """Seconds from booking to the geofence; None for a citizen who never comes."""
        p = self.plan
        x = self._rng.random()
        if x < p.never_rate:
            return None
        lo, hi = p.late_min if x < p.never_rate + p.late_rate else p.travel_min
        return self._rng.uniform(lo, hi) * 60

    def arrive(self, ticket_id: str) -> None:
        """The phone enters the geofence; waits until the hub knows (or it was a no-show)."""
        self.phones.arrived(self.hall_id, ticket_id)
        self.arrivals += 1
        end = time.monotonic() + ANSWER_TIMEOUT_S
        while time.monotonic() < end and not self._settled(ticket_id):
            time.sleep(0.002)

    def _settled(self, ticket_id: str) -> bool:
        def look(st: Any) -> bool:
            t = st.tickets.get(ticket_id)
            return t is None or t.arrived or t.state.value != "waiting"

        return bool(self.hall.hub.read(look))

    def tick(self) -> None:
        """The hub's housekeeping (no-shows at `arrive_by`), once a simulated minute."""
        if self.clock.t - self._housekept >= HOUSEKEEP_EVERY_S:
            self._housekept = self.clock.t
            self.hall.hub.tick()

    # --- the figures ------------------------------------------------------------------

    def summary(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        remote = set(self.issued)
        first_call = _first_calls(events, remote)
        no_show = {
            e["data"]["ticket_id"]
            for e in events
            if e["type"] == "ticket.cancelled" and e["data"].get("reason") == "no_show"
        }
        arrived = {
            e["data"]["ticket_id"]
            for e in events
            if e["type"] == "ticket.arrived" and e["data"]["ticket_id"] in remote
        }
        reminded: dict[str, float] = {}
        messages = 0
        for m in self.phones.progress():
            if m["ticket_id"] not in remote:
                continue
            messages += 1
            if m["approaching"] and m["ticket_id"] not in reminded:
                reminded[m["ticket_id"]] = _ts(m["at"])
        leads = [(first_call[t] - at) / 60 for t, at in reminded.items() if t in first_call]
        return {
            "remote_issued": len(remote),
            "remote_arrived": len(arrived),
            "remote_no_show": len(no_show & remote),
            "remote_called": len(first_call),
            "requests_refused": dict(self.refused),
            "requests_unanswered": self.unanswered,
            "progress_messages": messages,
            "progress_per_ticket": round(messages / len(remote), 2) if remote else None,
            "reminders_sent": len(reminded),
            "reminder_lead_min": {
                **_percentiles(leads),
                "goal": "p10 >= 5",
                "note": "minutes from the approaching (即将到号) message to the first call",
            },
            "estimate_error_min": {
                **error_figures(_estimate_errors(events, remote)),
                "note": "remote tickets: estimate at issue minus the wait to the first call",
            },
        }


def _ts(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def _first_calls(events: Iterable[Mapping[str, Any]], tickets: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for e in events:
        tid = e["data"].get("ticket_id")
        if e["type"] == "ticket.called" and tid in tickets and tid not in out:
            out[tid] = _ts(e["at"])
    return out


def _estimate_errors(events: Iterable[Mapping[str, Any]], tickets: set[str]) -> list[float]:
    issued: dict[str, tuple[float, float]] = {}
    errors: list[float] = []
    for e in events:
        d = e["data"]
        tid = d.get("ticket_id")
        if tid not in tickets:
            continue
        if e["type"] == "ticket.issued" and d.get("est_wait_min") is not None:
            issued[tid] = (_ts(e["at"]), float(d["est_wait_min"]))
        elif e["type"] == "ticket.called" and tid in issued:
            at, est = issued.pop(tid)
            errors.append(est - (_ts(e["at"]) - at) / 60)
    return errors


def _percentiles(values: list[float]) -> dict[str, Any]:
    if len(values) < 2:
        one = round(values[0], 1) if values else None
        return {"tickets": len(values), "p10": one, "p50": one, "p90": one}
    q = statistics.quantiles(values, n=10, method="inclusive")
    return {
        "tickets": len(values),
        "p10": round(q[0], 1),
        "p50": round(statistics.median(values), 1),
        "p90": round(q[-1], 1),
    }
