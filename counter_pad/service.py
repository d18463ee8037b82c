"""The pads role: key presses to hub commands, hub state to what the devices show.

Links (v1 masters, legacy links, USB keypads) hand their presses to :meth:`on_key`; one
dispatcher thread sends them to the hub in order, each with its press's idempotency key,
and confirms the press to its link once the hub has answered (or the press's time is up:
``command_timeout``, after which the hub refuses it by its deadline, so it can never act
later). The displays follow the hub's retained counter state, predicted at once from a
command's result; a refusal is shown as a short notice for ``notice_seconds``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from counter_pad import view as v
from counter_pad.actions import TICKET, CounterContext, Plan, plan, prefixes_of
from counter_pad.keys import Key, KeyEvent
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable, StateCache

log = logging.getLogger(__name__)

Kind = Literal["call_pad", "evaluator", "display"]
REPORT_KIND = {"call_pad": "pad", "evaluator": "evaluator", "display": "display"}


class Output(Protocol):
    """What the service drives on one link (a v1 bus, a legacy bus, a keypad)."""

    def present(self, address: int, view: v.PadView, urgent: bool = False) -> None:
        """Show ``view``; ``urgent`` when it answers a press at this counter."""
        ...

    def beep(self, address: int, count: int) -> None: ...

    def eval_start(self, address: int, ticket: str) -> None: ...

    def eval_cancel(self, address: int) -> None: ...

    def confirm(self, event: KeyEvent) -> None: ...


@dataclass(frozen=True)
class Device:
    link: str
    address: int
    counter: str
    kind: Kind = "call_pad"

    @property
    def ref(self) -> tuple[str, int]:
        return (self.link, self.address)


@dataclass(frozen=True)
class ServiceSettings:
    pads_id: str = "pads-1"
    number_width: int = 3
    shortcuts: dict[str, str] | None = None
    notice_seconds: float = 5.0
    error_beeps: int = 2
    command_timeout: float = 20.0


class PadService:
    def __init__(
        self,
        client: HallClient,
        cache: StateCache,
        devices: Iterable[Device],
        outputs: dict[str, Output],
        counters: Iterable[str],
        settings: ServiceSettings = ServiceSettings(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.cache = cache
        self.outputs = outputs
        self.settings = settings
        self.clock = clock
        self.counters = frozenset(counters)
        self.devices = {d.ref: d for d in devices}
        self.by_counter: dict[str, list[Device]] = {}
        for d in self.devices.values():
            self.by_counter.setdefault(d.counter, []).append(d)
        self.stats: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._state: dict[str, dict[str, Any]] = {}  # counter -> its state (or a prediction)
        self._notice: dict[str, tuple[v.PadView, float]] = {}
        self._last_finished: dict[str, str] = {}
        self._evaluating: dict[tuple[str, int], str] = {}
        self._link_up = cache.connected
        self._presses: queue.Queue[tuple[KeyEvent, float] | None] = queue.Queue()
        self._reports: queue.Queue[tuple[Device, bool] | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ life

    def start(self) -> PadService:
        self.cache.add_callback(self._on_state)
        self.cache.on_link(self._on_link)
        for counter in self.by_counter:
            state = self.cache.counter(counter)
            with self._lock:
                if state is not None:
                    self._state[counter] = dict(state)
            self._render(counter)
        for name, target in (("pads-hub", self._dispatch_loop), ("pads-tick", self._tick_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._report_loop, name="pads-report", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._presses.put(None)
        self._reports.put(None)
        for t in self._threads:
            t.join(timeout=5)

    def idle(self) -> bool:
        """No press waiting for the hub (for tests and the demo)."""
        return self._presses.unfinished_tasks == 0

    # ------------------------------------------------------------ from the links

    def on_key(self, event: KeyEvent) -> None:
        """A new press (any link thread): queued for the hub, never blocks the link."""
        self._presses.put((event, self.clock()))

    def on_status(self, link: str, address: int, online: bool) -> None:
        dev = self.devices.get((link, address))
        if dev is not None:
            self._reports.put((dev, online))

    # ------------------------------------------------------------ presses → commands

    def _dispatch_loop(self) -> None:
        while True:
            item = self._presses.get()
            try:
                if item is None:
                    return
                event, taken_at = item
                self._dispatch(event, taken_at)
            finally:
                self._presses.task_done()

    def _dispatch(self, event: KeyEvent, taken_at: float) -> None:
        dev = self.devices.get((event.bus, event.address))
        out = self.outputs.get(event.bus)
        try:
            if dev is None:
                self.stats["unmapped"] += 1
                log.warning("press from unconfigured device %s/%d", event.bus, event.address)
            elif dev.kind == "evaluator":
                self._rating(dev, event, taken_at)
            elif dev.kind == "call_pad":
                self._counter_key(dev, event, taken_at)
            else:
                self.stats["ignored_keys"] += 1
        except Exception:
            self.stats["failed"] += 1
            log.exception("press %s failed", event.idempotency_key)
        finally:
            if out is not None:
                out.confirm(event)

    def _counter_key(self, dev: Device, event: KeyEvent, taken_at: float) -> None:
        if event.rating is not None or event.key == Key.NO_RATING:
            self.stats["ignored_keys"] += 1
            return
        counter = dev.counter
        with self._lock:
            state = self._state.get(counter) or {}
        ctx = CounterContext(
            counter=counter,
            services=tuple(state.get("services") or ()),
            held=tuple(state.get("held") or ()),
            counters=self.counters,
            prefixes=prefixes_of(self.cache.catalog),
            shortcuts=self.settings.shortcuts or {},
            number_width=self.settings.number_width,
        )
        the_plan = plan(event.key, event.arg, ctx)
        if the_plan.local == "eval_request":
            self._eval_request(dev)
            return
        if the_plan.error is not None:
            self._notify(counter, *the_plan.error, beep=True)
            return
        done = self._run(counter, event, taken_at, the_plan)
        if done is None:
            return
        name, result = done
        if name == "finish" and result.get("number"):
            self._last_finished[counter] = str(result["number"])
            self._start_evaluators(counter, str(result["number"]))
        elif name == "sign_out":
            for ev_dev in self._kind(counter, "evaluator"):
                self._out(ev_dev).eval_cancel(ev_dev.address)

    def _run(
        self, counter: str, event: KeyEvent, taken_at: float, the_plan: Plan
    ) -> tuple[str, dict[str, Any]] | None:
        """Try the plan's steps; show the outcome; the successful step and its result."""
        first: CommandRefused | None = None
        for i, step in enumerate(the_plan.steps):
            key = event.idempotency_key if i == 0 else f"{event.idempotency_key}#{i + 1}"
            try:
                result = self._execute(step.command, step.args, key, taken_at)
            except CommandRefused as refusal:
                first = first or refusal
                if refusal.code == "unknown_ticket":
                    continue
                first = refusal
                break
            except HubUnreachable:
                self.stats["unreachable"] += 1
                log.warning("press %s: the hub did not answer in time", event.idempotency_key)
                self._notify(counter, "网络故障", "请稍后再试", beep=True)
                return None
            self.stats["done"] += 1
            with self._lock:
                predicted = v.predict(self._state.get(counter), step.command, result)
                if predicted is not None:
                    self._state[counter] = predicted
                self._notice.pop(counter, None)
            self._render(counter, urgent=True)
            return step.command, result
        if first is not None:
            self.stats["refused"] += 1
            with self._lock:
                base = v.pad_view(self._state.get(counter))
            self._show_notice(
                counter, v.error_view(base, first.code, first.message, first.hint), beep=True
            )
        return None

    def _execute(self, name: str, args: dict[str, Any], key: str, taken_at: float) -> Any:
        left = self.settings.command_timeout - (self.clock() - taken_at)
        if left <= 0:
            raise HubUnreachable(key, "the press waited too long")
        return self.client.execute(name, args, key=key, timeout=left)

    # ------------------------------------------------------------ evaluators

    def _eval_request(self, dev: Device) -> None:
        counter = dev.counter
        with self._lock:
            cur = (self._state.get(counter) or {}).get("current")
        number = str(cur["number"]) if cur else self._last_finished.get(counter)
        if not self._kind(counter, "evaluator"):
            self._notify(counter, "未配置评价器", beep=True)
        elif number is None:
            self._notify(counter, "没有可评价的号", beep=True)
        else:
            self._start_evaluators(counter, number)
            self._notify(counter, "请评价", number)

    def _start_evaluators(self, counter: str, number: str) -> None:
        for dev in self._kind(counter, "evaluator"):
            with self._lock:
                self._evaluating[dev.ref] = number
            self._out(dev).eval_start(dev.address, number)

    def _rating(self, dev: Device, event: KeyEvent, taken_at: float) -> None:
        if event.rating is None and event.key != Key.NO_RATING:
            self.stats["ignored_keys"] += 1
            return
        with self._lock:
            started = self._evaluating.pop(dev.ref, None)
        number = event.arg.upper() if TICKET.match(event.arg) else started
        args: dict[str, Any] = {"counter": dev.counter, "rating": event.rating}
        if number:
            args["number"] = number
        try:
            result = self._execute("evaluate", args, event.idempotency_key, taken_at)
        except CommandRefused as refusal:
            self.stats["refused"] += 1
            with self._lock:
                base = v.pad_view(self._state.get(dev.counter))
            notice = v.error_view(base, refusal.code, refusal.message, refusal.hint)
            self._show_notice(dev.counter, notice)
            return
        except HubUnreachable:
            self.stats["unreachable"] += 1
            log.warning("rating %s: the hub did not answer in time", event.idempotency_key)
            return
        self.stats["ratings"] += 1
        words = v.RATING_ZH.get(event.rating or 0, "未评价")
        self._notify(dev.counter, f"评价：{words}", str(result.get("number") or ""))

    # ------------------------------------------------------------ state → displays

    def _on_state(self, topic: str, payload: dict[str, Any]) -> None:
        if not topic.startswith(p.COUNTER_PREFIX):
            return
        counter = topic[len(p.COUNTER_PREFIX) :]
        if counter not in self.by_counter:
            return
        with self._lock:
            if payload:
                self._state[counter] = dict(payload)
            else:
                self._state.pop(counter, None)
        self._render(counter)

    def _on_link(self, up: bool) -> None:
        self._link_up = up
        for counter in self.by_counter:
            self._render(counter)

    def _notify(self, counter: str, line1: str, line2: str = "", beep: bool = False) -> None:
        with self._lock:
            base = v.pad_view(self._state.get(counter))
        self._show_notice(counter, v.notice_view(base, line1, line2), beep)

    def _show_notice(self, counter: str, view: v.PadView, beep: bool = False) -> None:
        with self._lock:
            self._notice[counter] = (view.fitted(), self.clock() + self.settings.notice_seconds)
        self._render(counter, urgent=True)
        if beep and self.settings.error_beeps:
            for dev in self._kind(counter, "call_pad"):
                self._out(dev).beep(dev.address, self.settings.error_beeps)

    def _render(self, counter: str, urgent: bool = False) -> None:
        with self._lock:
            state = self._state.get(counter)
            notice = self._notice.get(counter)
            pad = notice[0] if notice else v.pad_view(state)
            if not self._link_up and not notice and state:
                pad = v.PadView(pad.line1, "网络中断 请稍候", pad.ticket, pad.waiting)
            for dev in self.by_counter.get(counter, ()):
                if dev.kind == "call_pad":
                    shown = pad
                elif dev.kind == "display":
                    shown = v.display_view(state)
                else:
                    shown = v.evaluator_view(state)
                self._out(dev).present(dev.address, shown, urgent and dev.kind == "call_pad")

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.2):
            now = self.clock()
            with self._lock:
                expired = [c for c, (_, until) in self._notice.items() if until <= now]
                for c in expired:
                    del self._notice[c]
            for c in expired:
                self._render(c)

    # ------------------------------------------------------------ device reports

    def _report_loop(self) -> None:
        while True:
            item = self._reports.get()
            if item is None:
                return
            dev, online = item
            args = {
                "device": f"{self.settings.pads_id}/{dev.link}/{dev.address}",
                "kind": REPORT_KIND[dev.kind],
                "ok": online,
                "state": "ok" if online else "offline",
            }
            try:
                self.client.execute("report_device", args, timeout=5.0)
            except (CommandRefused, HubUnreachable) as exc:
                log.warning("device report %s not delivered: %s", args["device"], exc)

    # ------------------------------------------------------------ helpers

    def _kind(self, counter: str, kind: Kind) -> list[Device]:
        return [d for d in self.by_counter.get(counter, ()) if d.kind == kind]

    def _out(self, dev: Device) -> Output:
        return self.outputs[dev.link]
