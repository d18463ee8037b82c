"""The hall's values: services, counters, tickets, appointments, evaluations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, time
from typing import NewType

ServiceCode = NewType("ServiceCode", str)
CounterId = NewType("CounterId", str)
StaffId = NewType("StaffId", str)
TicketId = NewType("TicketId", str)
AppointmentId = NewType("AppointmentId", str)


class TicketState(enum.StrEnum):
    PRINTING = "printing"  # number reserved, waiting for the kiosk to confirm the print
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"  # 挂起: set aside by a counter, to be called back by it
    FINISHED = "finished"
    SKIPPED = "skipped"  # 过号: no-show after the configured calls; can be reinstated
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_TICKET_STATES

    @property
    def in_hand(self) -> bool:
        """The ticket is at a counter: called, being served or set aside there."""
        return self in (TicketState.CALLED, TicketState.SERVING, TicketState.HELD)


OPEN_TICKET_STATES = frozenset(
    {
        TicketState.PRINTING,
        TicketState.WAITING,
        TicketState.CALLED,
        TicketState.SERVING,
        TicketState.HELD,
        TicketState.SKIPPED,
    }
)


class Priority(enum.StrEnum):
    """Who goes first. Everything but NORMAL is a 绿色通道 class."""

    NORMAL = "normal"
    ELDERLY = "elderly"  # 70 岁以上
    DISABILITY = "disability"  # 残疾人
    PREGNANCY = "pregnancy"  # 孕妇
    URGENT = "urgent"  # 急事急办
    ASSISTED = "assisted"  # 帮办代办

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]


PRIORITY_LABELS = {
    Priority.NORMAL: "普通",
    Priority.ELDERLY: "老年人优先",
    Priority.DISABILITY: "残疾人优先",
    Priority.PREGNANCY: "孕妇优先",
    Priority.URGENT: "急事急办",
    Priority.ASSISTED: "帮办代办",
}


class Source(enum.StrEnum):
    WALK_IN = "walk_in"
    APPOINTMENT = "appointment"  # checked in inside or before its window
    APPOINTMENT_LATE = "appointment_late"  # checked in after the window: a normal ticket
    REMOTE = "remote"  # taken from a phone before reaching the hall (云叫号)


class CounterState(enum.StrEnum):
    CLOSED = "closed"  # nobody signed in
    OPEN = "open"
    PAUSED = "paused"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """One span of opening hours on some weekdays (1 = Monday … 7 = Sunday)."""

    days: frozenset[int]
    start: time
    end: time

    def covers(self, weekday: int, at: time) -> bool:
        return weekday in self.days and self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class Service:
    code: ServiceCode
    name: str
    category: str
    prefix: str
    appointable: bool
    daily_quota: int  # 0 = no quota
    avg_minutes: float
    hours: tuple[OpeningHours, ...]
    remote: bool = True  # citizens may take a number from their phones (云叫号)
    name_en: str = ""  # the English name where the catalog gives one (the kiosk's English mode)

    def is_open(self, weekday: int, at: time) -> bool:
        return any(h.covers(weekday, at) for h in self.hours)

    def hours_text(self) -> str:
        """Hours as a citizen reads them: 周一至周五 09:00-12:00、13:30-17:00."""
        by_days: dict[frozenset[int], list[str]] = {}
        for h in self.hours:
            by_days.setdefault(h.days, []).append(
                f"{h.start.strftime('%H:%M')}-{h.end.strftime('%H:%M')}"
            )
        parts = [f"{days_text(d)} {'、'.join(spans)}" for d, spans in by_days.items()]
        return "；".join(parts) if parts else "暂无办理时间"


_WEEKDAY_ZH = "一二三四五六日"


def days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if not ordered:
        return ""
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"周{_WEEKDAY_ZH[ordered[0] - 1]}至周{_WEEKDAY_ZH[ordered[-1] - 1]}"
    return "、".join(f"周{_WEEKDAY_ZH[d - 1]}" for d in ordered)


@dataclass(frozen=True, slots=True)
class Catalog:
    version: int
    services: tuple[Service, ...]
    _by_code: dict[str, Service] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Service] = {}
        for s in self.services:
            by_code.setdefault(s.code, s)  # the first of a code, as a search would find
        object.__setattr__(self, "_by_code", by_code)

    def get(self, code: str) -> Service | None:
        return self._by_code.get(code)


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """A counter as configured: its number, its name, what it serves in order of preference."""

    id: CounterId
    name: str
    services: tuple[ServiceCode, ...]

    @property
    def display_name(self) -> str:
        return self.name or f"{self.id}号窗口"


@dataclass(frozen=True, slots=True)
class Counter:
    spec: CounterSpec
    state: CounterState = CounterState.CLOSED
    staff: StaffId | None = None
    current: TicketId | None = None  # the ticket in hand (called or serving)
    held: tuple[TicketId, ...] = ()  # tickets set aside (挂起) at this counter

    @property
    def id(self) -> CounterId:
        return self.spec.id


@dataclass(frozen=True, slots=True)
class Ticket:
    id: TicketId
    number: str
    prefix: str
    serial: int  # the number's place in its prefix's day: A012 → 12
    service: ServiceCode
    day: date  # business day, the hall's local day
    source: Source
    priority: Priority
    state: TicketState
    issued_seq: int  # seq of ticket.issued: arrival order, immune to clock jumps
    issued_at: float  # hall time (epoch seconds) of issue
    order_key: float  # smaller is called first; see docs/QUEUE_RULES.md
    appointment_id: AppointmentId | None = None
    target_counter: CounterId | None = None  # after a transfer to a counter: only it may call
    counter: CounterId | None = None  # the counter that has it in hand
    staff: StaffId | None = None
    calls: int = 0  # how many times called (first call + recalls) at the current counter
    first_called_at: float | None = None
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    transfers: int = 0
    rated: bool = False
    # A remote ticket (云叫号) keeps its place but is called only once its citizen arrived;
    # not arrived by `arrive_by`, it is cancelled as a no-show.
    arrived: bool = True
    arrive_by: float | None = None
    request_id: str | None = None
    id_hash: str | None = None  # keyed hash: one waiting remote ticket per citizen and service
    phone_tail: str | None = None  # the phone's last four digits: arrival typed at a kiosk
    name_masked: str | None = None  # "张*" from the city (remote tickets), for halls that show it
    watched: bool = False  # the city follows it (a paper ticket's QR scanned on a phone)
    cancel_reason: str | None = None

    @property
    def tracked(self) -> bool:
        """The city follows its progress (a remote or a watched ticket)."""
        return self.source is Source.REMOTE or self.watched


@dataclass(frozen=True, slots=True)
class Appointment:
    id: AppointmentId
    version: int
    status: AppointmentStatus
    service: ServiceCode
    day: date
    slot_start: time
    slot_end: time
    code: str  # 6-digit appointment code
    id_hash: str | None  # keyed hash of the identity number; never the number itself
    name_masked: str | None  # "张*" as the city sends it
    priority: Priority = Priority.NORMAL
    ticket_id: TicketId | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    ticket_id: TicketId
    number: str
    counter: CounterId
    staff: StaffId | None
    rating: int | None  # 1–5, None: the citizen gave none before the evaluator's timeout
    at: float


@dataclass(slots=True)
class ServiceStats:
    """Observed service time per service (EWMA, minutes), with how many samples made it."""

    ewma_minutes: float
    samples: int = 0


@dataclass(frozen=True, slots=True)
class DeviceState:
    """A device's last reported state (printer, pad, evaluator, scanner, audio …)."""

    device: str  # "kiosk-1/printer", "pads-1/3" …
    kind: str
    ok: bool
    state: str  # paper_out, cover_open, offline, ok …
    detail: str
    at: float
