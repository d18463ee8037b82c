"""A simulated day in a hall: citizens arrive, counters call and serve, all in compressed time.

Arrivals are a non-homogeneous Poisson process (thinning) with a morning peak around
09:30–10:30 and an afternoon peak around 14:30–15:30; service times are log-normal around
each service's `avg_minutes`. Everything goes through a `HallPort`: the store directly
(fast tests) or the hall bus (the demo), so the same script exercises the real rules.
The simulation moves a `FixedClock`; nothing sleeps.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from appliance.sim.figures import error_figures, p90
from appliance.sim.figures import estimate_errors as estimate_errors  # bench, tests
from appliance.sim.pacing import Pacer
from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.model import Catalog, Priority
from hall.core.timekeeping import FixedClock, at_local


class HallPort(Protocol):
    def execute(self, cmd: c.Command) -> dict[str, Any]: ...


class PhonePort(Protocol):
    """Citizens who take their number from a phone (`appliance.sim.phones`): `share` of the
    day's citizens; `book` gives the ok result or None (refused: the citizen walks in);
    `arrival_delay` the seconds from booking to the hall (None: not known yet, or never);
    `due` the arrivals that became known since (hall time, ticket id, service), e.g. of
    citizens who set out at the 即将到号 reminder."""

    share: float

    def book(self, service: str, priority: str) -> dict[str, Any] | None: ...

    def arrival_delay(self, booked: Mapping[str, Any]) -> float | None: ...

    def due(self) -> list[tuple[float, str, str]]: ...

    def arrive(self, ticket_id: str) -> None: ...


@dataclass
class DayPlan:
    day: date
    tz: ZoneInfo
    arrivals: int = 1500  # expected citizens in the day
    seed: int = 1
    no_show_rate: float = 0.04
    priority_rate: float = 0.06
    rating_rate: float = 0.7
    counters: dict[str, list[str]] = field(default_factory=dict)  # id → services served
    lunch: tuple[str, str] = ("12:00", "13:30")
    open_at: str = "09:00"
    close_at: str = "17:00"
    minutes: int | None = None  # simulate only this many minutes from 08:50 (None: all day)


@dataclass
class Outcome:
    issued: int = 0
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    called: int = 0
    finished: int = 0
    skipped: int = 0
    waits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    est_errors: list[float] = field(default_factory=list)
    commands: int = 0

    def summary(self) -> dict[str, Any]:
        per_service = {}
        for code, w in sorted(self.waits.items()):
            per_service[code] = {
                "served": len(w),
                "mean_wait_min": round(statistics.fmean(w), 2) if w else None,
                "p90_wait_min": round(p90(w), 2) if w else None,
            }
        return {
            "tickets_issued": self.issued,
            "tickets_called": self.called,
            "tickets_finished": self.finished,
            "tickets_skipped": self.skipped,
            "refused": dict(self.refused),
            "commands": self.commands,
            "per_service": per_service,
            "estimate_error_min": {
                **error_figures(self.est_errors),
                "note": "estimate given at issue minus the actual wait until first call",
            },
        }


def _rate_shape(minute_of_day: float) -> float:
    """Relative arrival intensity over the day: two peaks, quiet over lunch."""
    h = minute_of_day / 60
    base = 0.35
    morning = math.exp(-(((h - 10.0) / 0.8) ** 2))
    afternoon = 0.8 * math.exp(-(((h - 15.0) / 0.9) ** 2))
    lunch = 0.15 if 12.0 <= h < 13.5 else 1.0
    return (base + morning + afternoon) * lunch


def service_weights(catalog: Catalog) -> list[tuple[str, float]]:
    """How the day's citizens spread over services: by daily quota, consultations at half."""
    return [
        (s.code, (s.daily_quota or 50) * (1.0 if s.appointable else 0.5)) for s in catalog.services
    ]


def staffed_counters(
    catalog: Catalog, arrivals: int, utilisation: float = 0.8, open_minutes: float = 390
) -> list[dict[str, Any]]:
    """Counters for a hall that expects `arrivals` citizens: enough per service to keep its
    counters about `utilisation` busy, each also serving its category's other services."""
    weights = service_weights(catalog)
    total = sum(w for _c, w in weights)
    by_category: dict[str, list[str]] = defaultdict(list)
    for s in catalog.services:
        by_category[s.category].append(s.code)
    counters: list[dict[str, Any]] = []
    for code, w in weights:
        svc = catalog.get(code)
        assert svc is not None
        need = arrivals * w / total * svc.avg_minutes / (open_minutes * utilisation)
        others = [x for x in by_category[svc.category] if x != code]
        for _ in range(max(1, math.ceil(need))):
            counters.append({"id": str(len(counters) + 1), "name": "", "services": [code, *others]})
    return counters


class DaySimulation:
    def __init__(
        self,
        port: HallPort,
        clock: FixedClock,
        catalog: Catalog,
        plan: DayPlan,
        on_step: Callable[[str, dict[str, Any]], None] | None = None,
        phones: PhonePort | None = None,
    ) -> None:
        self.port = port
        self.phones = phones
        self.clock = clock
        self.catalog = catalog
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.out = Outcome()
        self.on_step = on_step or (lambda kind, data: None)
        self._queue: list[tuple[float, int, str, dict[str, Any]]] = []
        self._n = 0
        self._estimates: dict[str, tuple[float, float]] = {}  # number → (issued ts, est minutes)
        self._busy: dict[str, bool] = {}
        self._pause_pending: set[str] = set()  # counters to pause when their ticket is done
        self._weights = service_weights(catalog)

    # --- plumbing -------------------------------------------------------------------------

    def _at(self, hhmm: str) -> float:
        return at_local(self.plan.day, hhmm, self.plan.tz)

    def _schedule(self, ts: float, kind: str, **data: Any) -> None:
        self._n += 1
        heapq.heappush(self._queue, (ts, self._n, kind, data))

    def _run(self, cmd: c.Command) -> dict[str, Any] | None:
        self.out.commands += 1
        try:
            return self.port.execute(cmd)
        except Refused as r:
            self.out.refused[r.code] += 1
            return None

    # --- the day --------------------------------------------------------------------------

    def _arrivals(self) -> None:
        """Thinning: draw candidate arrivals at the peak rate, keep each by the shape."""
        start, end = self._at("08:50"), self._at(self.plan.close_at)
        minutes_total = (end - start) / 60
        peak = max(_rate_shape(m) for m in range(8 * 60, 18 * 60))
        mean_shape = statistics.fmean(
            _rate_shape(8 * 60 + 50 + m) for m in range(int(minutes_total))
        )
        lam_peak = self.plan.arrivals / minutes_total * peak / mean_shape  # per minute
        t = start
        codes = [w[0] for w in self._weights]
        weights = [w[1] for w in self._weights]
        while True:
            t += self.rng.expovariate(lam_peak) * 60
            if t >= end:
                break
            lt = (t - self._at("00:00")) / 60
            if self.rng.random() <= _rate_shape(lt) / peak:
                code = self.rng.choices(codes, weights)[0]
                prio = Priority.NORMAL
                if self.rng.random() < self.plan.priority_rate:
                    prio = self.rng.choice(
                        [Priority.ELDERLY, Priority.DISABILITY, Priority.PREGNANCY]
                    )
                self._schedule(t, "arrive", service=code, priority=prio)

    def run(self, *, pace: float | None = None, stop: Any = None) -> Outcome:
        """Simulate the day. `pace`: simulated seconds per wall second (the desktop demo),
        None for as fast as possible; `stop`: a threading.Event that ends the day early."""
        p = self.plan
        self.clock.t = self._at("08:50")
        for i, cid in enumerate(p.counters):
            self._schedule(self._at("08:55"), "signin", counter=cid, staff=str(1001 + i))
            self._schedule(self._at(p.lunch[0]) + i, "pause", counter=cid)
            self._schedule(self._at(p.lunch[1]) - 300 + i, "resume", counter=cid)
        self._arrivals()
        end = self._at(p.close_at) + 3 * 3600
        if p.minutes is not None:
            end = min(end, self._at("08:50") + p.minutes * 60)
        self._schedule(end, "close")
        pacer = Pacer(self.clock, pace, stop) if pace else None
        while self._queue:
            ts, _n, kind, data = heapq.heappop(self._queue)
            if ts > end and kind != "close":
                continue
            if pacer is not None and not pacer.until(ts):
                return self.out
            if ts > self.clock.t:
                self.clock.advance(ts - self.clock.t)
            getattr(self, f"_on_{kind}")(**data)
            if self.phones is not None:
                for when, tid, service in self.phones.due():
                    self._schedule(
                        max(when, self.clock.t), "geofence", ticket_id=tid, service=service
                    )
        return self.out

    def _on_signin(self, counter: str, staff: str) -> None:
        self._run(c.SignIn(counter, staff))
        self._busy[counter] = False
        self._schedule(self.clock.t + 1, "idle", counter=counter)

    def _on_pause(self, counter: str) -> None:
        if self._busy.get(counter):
            self._pause_pending.add(counter)
        else:
            self._run(c.Pause(counter))

    def _on_resume(self, counter: str) -> None:
        self._pause_pending.discard(counter)
        self._run(c.Resume(counter))
        self._schedule(self.clock.t + 1, "idle", counter=counter)

    def _on_arrive(self, service: str, priority: Priority) -> None:
        if self.phones is not None and self.rng.random() < self.phones.share:
            remote = self.phones.book(service, priority.value)
            if remote is not None:
                self._booked(remote)
                return
        r = self._run(c.IssueTicket(service=service, priority=priority))
        if r is None:
            return
        self.out.issued += 1
        self.on_step("issued", r)
        self._issued(r)
        self._wake(service)

    def _issued(self, r: dict[str, Any]) -> None:
        if r.get("est_wait_min") is not None:
            self._estimates[r["number"]] = (self.clock.t, float(r["est_wait_min"]))

    def _booked(self, r: dict[str, Any]) -> None:
        """A number taken from a phone: its citizen reaches the hall later, or never."""
        assert self.phones is not None
        self.out.issued += 1
        self.on_step("remote", r)
        self._issued(r)
        delay = self.phones.arrival_delay(r)
        if delay is not None:
            self._schedule(
                self.clock.t + delay, "geofence", ticket_id=r["ticket_id"], service=r["service"]
            )

    def _on_geofence(self, ticket_id: str, service: str) -> None:
        assert self.phones is not None
        self.phones.arrive(ticket_id)
        self._wake(service)

    def _wake(self, service: str) -> None:
        for cid, busy in self._busy.items():
            if not busy and service in self.plan.counters[cid]:
                self._schedule(self.clock.t + self.rng.uniform(5, 30), "idle", counter=cid)

    def _on_idle(self, counter: str) -> None:
        if self._busy.get(counter) or counter in self._pause_pending:
            return
        r = self._run(c.CallNext(counter))
        if r is None:
            return  # nothing waiting (or paused): the next arrival wakes this counter
        self._called(counter, r)

    def _called(self, counter: str, r: dict[str, Any]) -> None:
        self._busy[counter] = True
        self.out.called += 1
        self.on_step("called", r)
        number = r["number"]
        est = self._estimates.pop(number, None)
        if est is not None:
            waited = (self.clock.t - est[0]) / 60
            self.out.est_errors.append(est[1] - waited)
            self.out.waits[r["service"]].append(waited)
        if self.rng.random() < self.plan.no_show_rate:
            self._schedule(self.clock.t + 60, "recall", counter=counter)
        else:
            self._schedule(
                self.clock.t + self.rng.uniform(20, 60),
                "start",
                counter=counter,
                service=r["service"],
            )

    def _on_recall(self, counter: str) -> None:
        self._run(c.Recall(counter))
        self._schedule(self.clock.t + 60, "skip", counter=counter)

    def _on_skip(self, counter: str) -> None:
        if self._run(c.Skip(counter)) is not None:
            self.out.skipped += 1
        self._free(counter)

    def join(self, counter: str, services: list[str], holding: tuple[str, bool] | None) -> None:
        """Staff who signed in at `counter` outside the simulation (the demo's pads) work on
        from now like its own: the ticket in hand (`holding`: its service, started or only
        called) goes on for a usual time, then the next is called; a pause over lunch."""
        self.plan.counters[counter] = list(services)
        now, k = self.clock.t, len(self.plan.counters)
        pause, resume = self._at(self.plan.lunch[0]) + k, self._at(self.plan.lunch[1]) - 300 + k
        self._busy[counter] = holding is not None
        if holding is None:
            self._schedule(now + 1, "idle", counter=counter)
        elif holding[1]:
            self._serve(counter, holding[0])
        else:
            self._schedule(
                now + self.rng.uniform(20, 60), "start", counter=counter, service=holding[0]
            )
        if now < pause:
            self._schedule(pause, "pause", counter=counter)
        elif now < resume:
            self._on_pause(counter)
        if now < resume:
            self._schedule(resume, "resume", counter=counter)

    def _on_start(self, counter: str, service: str) -> None:
        self._run(c.Start(counter))
        self._serve(counter, service)

    def _serve(self, counter: str, service: str) -> None:
        """The ticket in hand is served for a log-normal time around its service's average."""
        svc = self.catalog.get(service)
        avg = svc.avg_minutes if svc else 10.0
        sigma = 0.45
        minutes = self.rng.lognormvariate(math.log(avg) - sigma**2 / 2, sigma)
        self._schedule(self.clock.t + minutes * 60, "finish", counter=counter)

    def _on_finish(self, counter: str) -> None:
        r = self._run(c.Finish(counter))
        if r is not None:
            self.out.finished += 1
            self.on_step("finished", r)
            if self.rng.random() < self.plan.rating_rate:
                rating = self.rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0]
                self._run(c.Evaluate(counter, rating))
        self._free(counter)

    def _free(self, counter: str) -> None:
        self._busy[counter] = False
        if counter in self._pause_pending:
            self._pause_pending.discard(counter)
            self._run(c.Pause(counter))
            return
        self._schedule(self.clock.t + self.rng.uniform(5, 20), "idle", counter=counter)

    def _on_close(self) -> None:
        self._run(c.CloseDay())
