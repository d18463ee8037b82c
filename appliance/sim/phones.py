"""`hall demo --city`: citizens who take their number from a phone (云叫号).

A share of the day's citizens book through the city's mini-program (the product's city peer,
`sync.city_peer.phones`) instead of at the kiosk: the request goes down the city link, sync
asks the hub (`issue_remote`), the result comes back up. They reach the hall later, found by
the city's geofence (`ticket-arrived`), or never (the hub cancels those as no-shows at
`arrive_by`). The phone follows the ticket (`ticket-progress`).

How they behave (`PhonePlan`, the demo's assumptions, not measurements): a phone citizen
plans around the estimate the phone showed at booking (`est_wait_min`), and can be no
quicker than the way to the hall (travel 5–25 min):
- 60 % `on_time`: set out so as to arrive a little before the estimate (2–8 min before,
  ±3 min of traffic), or as soon as the way allows;
- 15 % `reminder`: wait nearby (a café, the car park, the office next door) and walk in
  2–8 min after the "即将到号" (`approaching`) message;
- 10 % `early`: set out at once and wait in the hall;
- 10 % `late`: held up, arrive 5–30 min after the estimate (passed over until then; after
  `arrive_by` they find a no-show);
- 5 % `never`: never come (no-show at `arrive_by`).

The summary says what the city saw:
- remote tickets issued / arrived / no-show / called, requests refused by code, how many
  citizens of each behaviour;
- reminders: tickets that got the "即将到号" (`approaching`) message;
- the reminder's lead time: minutes from that message (its `at`) to the ticket's first call
  (from the hall's event log), p10 / p50 / p90; the goal is p10 ≥ 5 minutes;
- the estimate's error at issue for remote tickets (estimate minus the wait to the first
  call), split by the hall's event log into those who arrived before their turn came (the
  estimate's accuracy) and those passed over (a ticket of their service behind them was
  called before they arrived: their wait is their own).
Each booking and arrival waits for its answer, so the simulated clock does not run ahead.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.local import LocalHall
from appliance.sim.figures import error_figures
from hall.core.timekeeping import FixedClock
from sync.city_peer.phones import CityPhones

ANSWER_TIMEOUT_S = 15.0
HOUSEKEEP_EVERY_S = 60.0
Span = tuple[float, float]


@dataclass(frozen=True)
class PhonePlan:
    share: float = 0.2  # of the day's citizens, from a phone
    # behaviour → share of the phone citizens (see the module's docstring)
    kinds: tuple[tuple[str, float], ...] = (
        ("on_time", 0.60),
        ("reminder", 0.15),
        ("early", 0.10),
        ("late", 0.10),
        ("never", 0.05),
    )
    travel_min: Span = (5.0, 25.0)  # from where they are to the hall
    margin_min: Span = (2.0, 8.0)  # on_time: how long before the estimate they aim to be in
    jitter_min: float = 3.0  # on_time: traffic, ± minutes
    walk_min: Span = (2.0, 8.0)  # reminder: from nearby, after the message
    late_min: Span = (5.0, 30.0)  # late: after the estimate


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
        self.kinds: Counter[str] = Counter()
        self.arrivals = 0
        self.unanswered = 0
        self._housekept = 0.0
        self._on_reminder: dict[str, str] = {}  # ticket id → service, waiting for 即将到号
        self._progress_seen = 0  # the city's last ticket-progress row read

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

    def arrival_delay(self, booked: Mapping[str, Any]) -> float | None:
        """Seconds from booking to the geofence; None for a citizen who never comes or who
        waits for the reminder (`due` gives that arrival once the message came)."""
        p, rng = self.plan, self._rng
        kind = rng.choices([k for k, _ in p.kinds], [w for _, w in p.kinds])[0]
        self.kinds[kind] += 1
        est = booked.get("est_wait_min")
        est = float(est) if est is not None else 0.0
        travel = rng.uniform(*p.travel_min)
        if kind == "never":
            return None
        if kind == "reminder":
            self._on_reminder[str(booked["ticket_id"])] = str(booked["service"])
            return None
        if kind == "early":
            minutes = travel
        elif kind == "late":
            minutes = max(travel, est + rng.uniform(*p.late_min))
        else:
            aim = est - rng.uniform(*p.margin_min) + rng.uniform(-p.jitter_min, p.jitter_min)
            minutes = max(travel, aim)
        return minutes * 60

    def due(self) -> list[tuple[float, str, str]]:
        """(hall time, ticket id, service) of the reminder citizens' arrivals that became
        known since the last call: the 即将到号 message's `at` plus their walk."""
        if not self._on_reminder:
            return []
        rows = self.phones.store.query(
            "SELECT id, payload FROM phone_progress WHERE id > ? ORDER BY id",
            (self._progress_seen,),
        )
        out = []
        for row_id, text in rows:
            self._progress_seen = row_id
            m = json.loads(text)
            tid = m["ticket_id"]
            if tid not in self._on_reminder:
                continue
            if m["status"] != "waiting" or m["arrived"]:
                del self._on_reminder[tid]  # cancelled, or arrived some other way
            elif m["approaching"]:
                walk = self._rng.uniform(*self.plan.walk_min) * 60
                out.append((_ts(m["at"]) + walk, tid, self._on_reminder.pop(tid)))
        return out

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
            "behaviour": {k: self.kinds[k] for k, _ in self.plan.kinds},
            "estimate_error_min": estimate_error_split(events, remote),
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


def _estimate_errors(events: Iterable[Mapping[str, Any]], tickets: set[str]) -> dict[str, float]:
    """Ticket id → its estimate at issue minus the minutes from issue to its first call."""
    issued: dict[str, tuple[float, float]] = {}
    errors: dict[str, float] = {}
    for e in events:
        d = e["data"]
        tid = d.get("ticket_id")
        if tid not in tickets:
            continue
        if e["type"] == "ticket.issued" and d.get("est_wait_min") is not None:
            issued[tid] = (_ts(e["at"]), float(d["est_wait_min"]))
        elif e["type"] == "ticket.called" and tid in issued:
            at, est = issued.pop(tid)
            errors[tid] = est - (_ts(e["at"]) - at) / 60
    return errors


def passed_over(events: Iterable[Mapping[str, Any]], tickets: set[str]) -> set[str]:
    """The remote tickets whose turn came before their citizen did: a ticket of the same
    service that ranks behind it (a greater order key) was called before it arrived."""
    key: dict[str, tuple[str, float]] = {}  # every ticket → (service, order key)
    arrived: dict[str, int] = {}  # remote ticket → seq of its arrival
    calls: list[tuple[int, str]] = []  # (seq, ticket id) of each ticket's first call
    called: set[str] = set()
    for e in events:
        d, kind = e["data"], e["type"]
        if kind == "ticket.issued":
            key[d["ticket_id"]] = (d["service"], float(d["order_key"]))
        elif kind == "ticket.arrived" and d["ticket_id"] in tickets:
            arrived.setdefault(d["ticket_id"], int(e["seq"]))
        elif kind == "ticket.called" and d["ticket_id"] not in called:
            called.add(d["ticket_id"])
            calls.append((int(e["seq"]), d["ticket_id"]))
    out: set[str] = set()
    for tid in tickets & set(arrived):
        service, mine = key[tid]
        for seq, other in calls:
            if seq > arrived[tid]:
                break
            theirs = key.get(other)
            if theirs is not None and theirs[0] == service and theirs[1] > mine:
                out.add(tid)
                break
    return out


def _arrived_by_estimate(events: Iterable[Mapping[str, Any]], tickets: set[str]) -> set[str]:
    """The remote tickets whose citizen arrived by the time the estimate at issue gave."""
    due: dict[str, float] = {}
    out: set[str] = set()
    for e in events:
        d = e["data"]
        tid = d.get("ticket_id")
        if tid not in tickets:
            continue
        if e["type"] == "ticket.issued" and d.get("est_wait_min") is not None:
            due[tid] = _ts(e["at"]) + float(d["est_wait_min"]) * 60
        elif e["type"] == "ticket.arrived" and tid in due and _ts(e["at"]) <= due[tid]:
            out.add(tid)
    return out


def estimate_error_split(events: list[dict[str, Any]], remote: set[str]) -> dict[str, Any]:
    errors = _estimate_errors(events, remote)
    late = passed_over(events, remote)
    by_estimate = _arrived_by_estimate(events, remote)

    def of(keep: set[str], inside: bool) -> dict[str, Any]:
        return error_figures([e for t, e in errors.items() if (t in keep) == inside])

    return {
        "all": error_figures(list(errors.values())),
        "arrived_before_turn": of(late, False),
        "passed_over": of(late, True),
        "arrived_by_estimate": of(by_estimate, True),
        "arrived_after_estimate": of(by_estimate, False),
        "note": "remote tickets: estimate at issue minus the wait to the first call. "
        "passed_over: a ticket of the same service ranked behind it was called before its "
        "citizen arrived (the wait is the citizen's own); arrived_before_turn: the others "
        "(selected by the outcome: a turn that came later than estimated is likelier to "
        "find the citizen there, so this leans short); arrived_by_estimate: the citizen was "
        "in the hall by issue + estimate (selected by the citizen, not the outcome)",
    }


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
