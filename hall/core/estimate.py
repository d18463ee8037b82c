"""Estimated waiting time: minutes from now until a new ticket's first call.

Method (docs/QUEUE_RULES.md, "Estimated wait"), pure and cheap (it runs on every issue):

1. Counter time per ticket of a service, m: the catalog's `avg_minutes` counted as
   `PRIOR_TICKETS` tickets, then every ticket of the day that left a counter (served: call
   to finish; no-show: call to skip), from `state.flow`.
2. Each open counter serving the service is a lane, unless nobody is working there: free
   while a ticket it could call has waited more than `IDLE_MINUTES`, or holding a ticket
   for more than `STALLED` times its counter time (a forgotten FINISH). A lane's ticket in
   hand leaves after the expected remaining time of a log-normal counter time (spread
   `SIGMA`) that has already run since the call.
3. A lane that serves other services too first spends the minutes it takes their tickets
   before this one: the queue rule played forward (hall/core/sharing.py); past its bound,
   the closed form `_Hall.firsts` (those ranking first at the lane, waiting and to come,
   shared with the other counters working at them).
4. The new ticket is called at the (ahead + 1)-th free counter moment: counting, per lane,
   the ticket in hand leaving (its remaining time spread evenly up to twice the expected
   one), then one more every m (renewal: after a lag of (1 − cv²)/2 × m); the estimate is
   where the count reaches ahead + 1 − 0.3 (the median rank of an order statistic).
5. Later arrivals that will pass the ticket are added to those ahead: 绿色通道 and
   appointment tickets, whose order key is earlier than their arrival, at the day's rates.
6. A call that would come after the current span of the service's hours waits out the
   gap to the next span (the lunch break).

The result is rounded to the nearest minute. While no counter serving the service is open
(before opening, all paused), the estimate is ahead × m / the configured counters serving
it; with no counter serving the service it is unknown (None).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from hall.core.breaks import break_minutes
from hall.core.flow import Rates
from hall.core.model import Counter, CounterState, ServiceCode, Ticket, TicketId
from hall.core.sharing import MAX_STEPS, other_work
from hall.core.state import HallState

SIGMA = 0.5  # log-normal spread of one ticket's counter time (cv ≈ 0.53)
PRIOR_TICKETS = 30  # the catalog's time weighs as much as this many of today's tickets
RENEWAL_LAG = (2 - math.exp(SIGMA**2)) / 2  # (1 − cv²) / 2 of the counter time
MEDIAN_RANK = 0.3
IDLE_MINUTES = 3.0  # an open, free counter that lets a ticket wait this long is not working
STALLED = 3.0  # … nor one with a ticket in hand for this many times its counter time
_ROUNDS = 3  # fixed point: later arrivals depend on the wait, the wait on them


def serving_counters(state: HallState, service: str) -> tuple[int, int, int]:
    """(open counters serving it, how many of those are busy, configured counters serving it)."""
    open_n = busy = configured = 0
    for c in state.counters.values():
        if service not in c.spec.services:
            continue
        configured += 1
        if c.state is CounterState.OPEN:
            open_n += 1
            if c.current is not None:
                busy += 1
    return open_n, busy, configured


def ahead_of(state: HallState, ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before this one."""
    queue = state.waiting_index.queue(ticket.service)
    return queue.before(ticket) if queue is not None else 0


def waiting_count(state: HallState, service: str) -> int:
    return len(state.waiting_in(service))


def counter_minutes(state: HallState, service: str) -> float:
    """Expected minutes a counter is taken by one ticket of the service (no-shows included):
    the catalog's time as PRIOR_TICKETS tickets, and today's tickets."""
    return _blend(prior_minutes(state, service), *state.flow.counter_time(state.open_day, service))


def prior_minutes(state: HallState, service: str) -> float:
    """What one ticket takes before today says otherwise: the catalog's `avg_minutes` (the
    hall's long-run figure); for a service no longer in it, the learned time."""
    svc = state.catalog.get(service)
    if svc is not None:
        return svc.avg_minutes
    learned = state.stats.get(ServiceCode(service))
    return learned.ewma_minutes if learned is not None else 10.0


def _blend(prior: float, total: float, n: int) -> float:
    return (PRIOR_TICKETS * prior + total) / (PRIOR_TICKETS + n)


def remaining_minutes(elapsed: float, mean: float) -> float:
    """E[S − elapsed | S > elapsed] for a log-normal S of this mean and spread SIGMA."""
    if elapsed <= 0:
        return mean
    z = (math.log(elapsed / mean) + SIGMA**2 / 2) / SIGMA
    tail = math.erfc(z / math.sqrt(2))
    if tail <= 1e-300:
        return 0.0
    return max(mean * math.erfc((z - SIGMA) / math.sqrt(2)) / tail - elapsed, 0.0)


def passing(rates: Rates, shift: float, credit: float, wait: float) -> float:
    """Expected later arrivals that rank before a ticket with `credit` minutes of order-key
    credit, within `wait` minutes, when their service ranks `shift` minutes earlier."""

    def within(x: float) -> float:
        return min(max(x, 0.0), wait)

    return rates.walk_in * within(shift - credit) + rates.credited * within(
        rates.credit_minutes + shift - credit
    )


Lane = tuple[float, float]  # (minutes until it turns to this service, remaining in hand)


def slot_time(lanes: Iterable[Lane], mean: float, ahead: float) -> float:
    """Minutes until the count of free counter moments reaches ahead + 1 − MEDIAN_RANK.

    Per lane (start, remaining), from its start: the ticket in hand leaves evenly over
    [0, 2 × remaining] (a free lane counts one at once), then one more every `mean` after
    a lag of RENEWAL_LAG × mean. The count is piecewise linear: sweep its breakpoints.
    """
    lanes = list(lanes)
    return _reach(_breakpoints(lanes, mean), _target(len(lanes), ahead))


def _target(n: int, ahead: float) -> float:
    # k − 0.3: the median rank of the k-th free moment; for the first one of one or two
    # lanes, its mean rank 1/(n + 1) (one lane: the expected remaining time itself)
    rank = max(MEDIAN_RANK, 1 / (n + 1)) if ahead < 1 else MEDIAN_RANK
    return ahead + 1 - rank


def _breakpoints(lanes: list[Lane], mean: float) -> list[tuple[float, float, float]]:
    """(time, jump, change of slope) of the free-moment count, in time order."""
    lag = RENEWAL_LAG * mean
    points: list[tuple[float, float, float]] = []
    for t0, r in lanes:
        if r <= 0:
            points.append((t0, 1.0, 0.0))
        else:
            points.append((t0, 0.0, 0.5 / r))
            points.append((t0 + 2 * r, 0.0, -0.5 / r))
        points.append((t0 + r + lag, 0.0, 1 / mean))
    points.sort()
    return points


def _reach(points: list[tuple[float, float, float]], target: float) -> float:
    t = value = slope = 0.0
    for x, jump, dslope in points:
        reached = value + slope * (x - t)
        if reached >= target and slope > 1e-12:
            return t + (target - value) / slope
        t, value, slope = x, reached + jump, slope + dslope
        if value >= target:
            return t
    return t + (target - value) / slope


# Another service a counter ranks before this one: (counter minutes of its tickets waiting
# now that rank first, counter minutes of one more, its arrival rates, how many minutes
# earlier it ranks). Its tickets are shared by the counters working at it.
First = tuple[float, float, Rates, float]


class _Hall:
    """The hall as one estimate reads it, each figure worked out once."""

    def __init__(self, state: HallState, now: float) -> None:
        self.state, self.now = state, now
        self.today = state.flow.days.get(state.open_day) if state.open_day else None
        self._means: dict[str, float] = {}
        self._rates: dict[str, Rates] = {}
        self._seen: dict[str, tuple[bool, float]] = {}  # counter → (idle, in hand)
        self._working: dict[str, int] = {}

    def mean(self, service: str) -> float:
        m = self._means.get(service)
        if m is None:
            prior = prior_minutes(self.state, service)
            today = self.today.counter_time(service) if self.today else (0.0, 0)
            m = self._means[service] = _blend(prior, *today)
        return m

    def rates(self, service: str) -> Rates:
        r = self._rates.get(service)
        if r is None:
            r = self._rates[service] = (
                self.today.rates(service, self.now) if self.today else Rates()
            )
        return r

    def look(self, c: Counter) -> tuple[bool, float]:
        """(nobody working there, expected minutes left of its ticket in hand). Nobody works
        at a counter whose ticket in hand has run more than STALLED times its counter time
        (a forgotten FINISH), nor at a free one that has let a ticket it could call wait
        more than IDLE_MINUTES (staff away without pausing)."""
        seen = self._seen.get(c.id)
        if seen is None:
            seen = self._seen[c.id] = self._look_at(c)
        return seen

    def _look_at(self, c: Counter) -> tuple[bool, float]:
        state, now = self.state, self.now
        if c.current is not None:
            t = state.tickets.get(c.current)
            if t is None or t.called_at is None:
                return False, 0.0
            m = self.mean(t.service)
            ran = (now - t.called_at) / 60
            return ran > STALLED * m, remaining_minutes(ran, m)
        since = self.today.last_active.get(c.id, 0.0) if self.today else 0.0
        if now - since <= IDLE_MINUTES * 60:
            return False, 0.0  # it called or finished a moment ago
        for code in c.spec.services:
            queue = state.waiting_index.queue(code)
            if queue is not None and queue.ordered:
                head = queue.tickets[TicketId(queue.ordered[0][2])]
                if now - max(since, head.issued_at) > IDLE_MINUTES * 60:
                    return True, 0.0
        return False, 0.0

    def working(self, service: str) -> int:
        """Open counters serving the service with somebody working there."""
        n = self._working.get(service)
        if n is None:
            n = 0
            for c in self.state.counters.values():
                if c.state is CounterState.OPEN and service in c.spec.services:
                    n += not self.look(c)[0]
            self._working[service] = n
        return n

    def firsts(self, service: str, services: tuple[str, ...], key: float) -> tuple[First, ...]:
        """What a counter serving `services` takes before a ticket of `service` at `key`."""
        codes = list(dict.fromkeys(services))
        mine = codes.index(service)
        step = self.state.rules.preference_step_minutes
        out = []
        for rank, code in enumerate(codes):
            if rank == mine:
                continue
            shift = (mine - rank) * step
            queue = self.state.waiting_index.queue(code)
            n = queue.at_or_before(key + shift * 60) if queue is not None else 0
            per_ticket = self.mean(code) / max(self.working(code), 1)
            out.append((n * per_ticket, per_ticket, self.rates(code), shift))
        return tuple(out)


def _walk(
    hall: _Hall, service: str, lanes: list[Counter], ahead: int, key: float
) -> list[float] | None:
    """Per lane, its other services' work before the ticket (hall/core/sharing.py); None
    when every lane serves this service only, or the queues are too long to walk."""
    if ahead >= MAX_STEPS or all(len(c.spec.services) < 2 for c in lanes):
        return None
    state, now = hall.state, hall.now
    step = state.rules.preference_step_minutes
    ranks: dict[tuple[str, ...], tuple[tuple[str, float], ...]] = {}
    specs = []
    for c in lanes:
        ranked = ranks.get(c.spec.services)
        if ranked is None:
            order = dict.fromkeys(c.spec.services)
            ranked = ranks[c.spec.services] = tuple((x, r * step) for r, x in enumerate(order))
        specs.append((ranked, hall.look(c)[1]))
    codes = {code for ranked in ranks.values() for code, _o in ranked}
    codes.discard(service)
    queues: dict[str, list[float]] = {}
    budget = MAX_STEPS - ahead
    for code in codes:  # at most this many can rank before the ticket anywhere
        queue = state.waiting_index.queue(code)
        n = queue.at_or_before(key + step * 60 * len(codes)) if queue is not None else 0
        budget -= n
        if budget < 0:
            return None
        ordered = queue.ordered[:n] if queue is not None else []
        queues[code] = [(k - now) / 60 for k, _s, _i in ordered]
    mine = state.waiting_index.queue(service)
    before = [(k - now) / 60 for k, _s, _i in mine.ordered[:ahead]] if mine is not None else []
    own = (key - now) / 60
    before += [own] * (ahead - len(before))  # those ahead not (yet) in the queue
    return other_work(
        specs,
        service,
        before,
        own,
        queues,
        {code: hall.mean(code) for code in (*codes, service)},
        {code: hall.rates(code) for code in (*codes, service)},
    )


def estimate_wait(
    state: HallState,
    service: str,
    ahead: int,
    *,
    order_key: float | None = None,
    now: float | None = None,
) -> float | None:
    """Minutes until the first call of a ticket with `ahead` tickets of its service before it
    (`order_key`: its key, by default just behind them; `now`: the hall time of the last
    event by default). None when no counter serves the service."""
    now = state.last_ts if now is None else now
    serving = 0
    opened: list[Counter] = []
    for c in state.counters.values():
        if service in c.spec.services:
            serving += 1
            if c.state is CounterState.OPEN:
                opened.append(c)
    if not serving:
        return None
    hall = _Hall(state, now)
    if not opened:  # none open (yet): those ahead shared by the counters that will open
        return _places(state, service, ahead) * hall.mean(service) / serving
    mine = [c for c in opened if not hall.look(c)[0]] or opened
    if order_key is None:
        queue = state.waiting_index.queue(service)
        ordered = queue.ordered if queue is not None else []
        order_key = min(now, ordered[ahead][0]) if ahead < len(ordered) else now
    credit = max(0.0, (now - order_key) / 60)
    firsts: dict[tuple[str, ...], tuple[First, ...]] = {}
    lanes: list[tuple[float, float, tuple[First, ...]]] = []
    walked = _walk(hall, service, mine, ahead, order_key)
    for j, c in enumerate(mine):
        if walked is not None:
            lanes.append((walked[j], hall.look(c)[1], ()))
            continue
        first = firsts.get(c.spec.services)
        if first is None:
            first = firsts[c.spec.services] = (
                hall.firsts(service, c.spec.services, order_key) if len(c.spec.services) > 1 else ()
            )
        lanes.append((sum(f[0] for f in first), hall.look(c)[1], first))
    mean = hall.mean(service)
    n = len(lanes)
    points = _breakpoints([(s, r) for s, r, _f in lanes], mean)
    places = _places(state, service, ahead)
    wait = _reach(points, _target(n, places))
    own = hall.rates(service)
    # Later arrivals rank first only within a window after this ticket's issue (their
    # credit, their service's rank): once the wait is past every window, their number no
    # longer grows with it.
    windows = [own.credit_minutes - credit] if own.credited > 0 else []
    for first in firsts.values():
        for f in first:
            if f[2].walk_in > 0:
                windows.append(f[3] - credit)
            if f[2].credited > 0:
                windows.append(f[2].credit_minutes + f[3] - credit)
    horizon = max(windows, default=0.0)
    for _ in range(_ROUNDS - 1):
        if wait <= 0 or horizon <= 0:
            break  # nobody arriving later can rank before it
        past = wait >= horizon
        if len(windows) > (own.credited > 0):  # the counters' other work grows too
            starts = {
                key: sum(passing(f[2], f[3], credit, wait) * f[1] for f in first)
                for key, first in firsts.items()
            }
            points = _breakpoints(
                [
                    (s + starts[c.spec.services], r)
                    for c, (s, r, _f) in zip(mine, lanes, strict=True)
                ],
                mean,
            )
        wait = _reach(points, _target(n, places + passing(own, 0.0, credit, wait)))
        if past:
            break
    return wait + break_minutes(state, service, now, wait)


def _places(state: HallState, service: str, ahead: int) -> float:
    """The places the `ahead` first waiting tickets of the service take: a remote ticket whose
    citizen has not arrived counts as `remote_ahead_weight` of one (passed over, mostly)."""
    queue = state.waiting_index.queue(service)
    if queue is None or not ahead or not queue.away:
        return float(ahead)
    away = 0
    for i, t in enumerate(queue.in_order()):
        if i >= ahead or away == queue.away:
            break
        away += not t.arrived
    return ahead - (1.0 - state.rules.remote_ahead_weight) * away


def estimate_minutes(
    state: HallState,
    service: str,
    ahead: int,
    *,
    order_key: float | None = None,
    now: float | None = None,
) -> int | None:
    """`estimate_wait` in whole minutes (nearest), as tickets and screens show it."""
    wait = estimate_wait(state, service, ahead, order_key=order_key, now=now)
    return None if wait is None else int(wait + 0.5)
