"""The pads role: key presses to hub commands, hub state to what the devices show.

Links (v1 masters, legacy links, USB keypads) hand their presses to :meth:`on_key`; one
dispatcher thread sends them to the hub in order, each with its press's idempotency key,
and confirms the press to its link once the hub has answered, or once the press is held
durably for later (`counter_pad.held`: the hub did not answer within ``command_timeout``).
The displays follow the hub's retained counter state, predicted at once from a command's
result; a refusal is shown as a short notice for ``notice_seconds``. Evaluator prompts are
kept in the pads' memory until rated (`counter_pad.evaluators`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from counter_pad import view as v
from counter_pad.actions import TICKET, CounterContext, Plan, plan, prefixes_of
from counter_pad.displays import Displays
from counter_pad.durable import DurableState
from counter_pad.evaluators import Evaluators
from counter_pad.held import HeldLimits, HeldPresses
from counter_pad.keys import Key, KeyEvent
from counter_pad.noise import NoiseLog
from counter_pad.outputs import REPORT_KIND, Device, Kind, Output
from counter_pad.settings import PadsSection
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable, StateCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSettings:
    """The service's part of [pads] (:meth:`of`), with the queue's ticket number width."""

    pads_id: str = "pads-1"
    number_width: int = 3
    shortcuts: dict[str, str] | None = None
    notice_seconds: float = 5.0
    error_beeps: int = 2
    command_timeout: float = 20.0
    held: HeldLimits = field(default_factory=HeldLimits)
    reprompt_s: float = 120.0

    @classmethod
    def of(cls, section: PadsSection, number_width: int) -> ServiceSettings:
        return cls(
            pads_id=section.id,
            number_width=number_width,
            shortcuts={k.upper(): t for k, t in section.transfer_shortcuts.items()},
            notice_seconds=section.notice_seconds,
            error_beeps=section.error_beeps,
            command_timeout=section.command_timeout_s,
            held=HeldLimits(
                call_s=section.held_call_s,
                press_s=section.held_press_s,
                rating_s=section.held_rating_s,
                per_counter=section.held_max,
            ),
            reprompt_s=section.eval_reprompt_s,
        )


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
        *,
        durable: DurableState,
        generation: int = 0,
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
        self.noise = NoiseLog("pads", self.stats, log)
        self.evaluators = Evaluators(
            durable,
            lambda c: self._kind(c, "evaluator"),
            self._out,  # type: ignore[arg-type]
            reprompt_s=settings.reprompt_s,
            generation=generation,
        )
        self.displays = Displays(
            self.by_counter,
            self._out,
            self._held_count,
            notice_seconds=settings.notice_seconds,
            error_beeps=settings.error_beeps,
            clock=clock,
            link_up=cache.connected,
        )
        self.held = HeldPresses(
            durable, settings.held, self._replay, self.displays.notify, self.displays.render
        )
        self._last_finished: dict[str, str] = {}
        self._presses: queue.Queue[tuple[KeyEvent, float] | None] = queue.Queue()
        self._reports: queue.Queue[tuple[Device, bool] | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ life

    def start(self) -> PadService:
        self.cache.add_callback(self._on_state)
        self.cache.on_link(self._on_link)
        for counter in self.by_counter:
            self.displays.set_state(counter, self.cache.counter(counter))
        for name, target in (
            ("pads-hub", self._dispatch_loop),
            ("pads-tick", self._tick_loop),
            ("pads-report", self._report_loop),
        ):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        self.held.start()
        evaluators = [d for d in self.devices.values() if d.kind == "evaluator"]
        self.evaluators.restore(evaluators, self.on_key)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._presses.put(None)
        self._reports.put(None)
        self.held.stop()
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
                self._dispatch(*item)
            finally:
                self._presses.task_done()

    def _dispatch(self, event: KeyEvent, taken_at: float) -> None:
        dev = self.devices.get((event.bus, event.address))
        out = self.outputs.get(event.bus)
        try:
            if dev is None:
                self.noise.note("unconfigured_presses", detail=f"{event.bus}/{event.address}")
            elif not _fits(dev, event):  # a rating from a call-pad, a call from an evaluator
                what = f"{dev.kind} {event.bus}/{dev.address} key 0x{event.key:02X}"
                self.noise.note("ignored_keys", detail=what)
            elif self.held.should_hold(dev.counter) or not self._handle(dev, event, taken_at):
                self._hold(dev, event)
        except Exception:
            self.stats["failed"] += 1
            log.exception("press %s failed", event.idempotency_key)
        finally:
            if out is not None:
                out.confirm(event)  # acted on, refused, or held durably

    def _hold(self, dev: Device, event: KeyEvent) -> None:
        if self.held.hold(event, dev.counter, time.time()):
            self.displays.notify(dev.counter, "网络故障", "按键已暂存", beep=dev.kind == "call_pad")

    def _replay(self, event: KeyEvent, timeout: float) -> bool:
        """A held press, sent again (the held queue's thread); False: the hub is still away."""
        dev = self.devices.get((event.bus, event.address))
        if dev is None:
            return True
        try:
            return self._handle(dev, event, self.clock() - self.settings.command_timeout + timeout)
        except Exception:
            self.stats["failed"] += 1
            log.exception("held press %s failed", event.idempotency_key)
            return True

    def _handle(self, dev: Device, event: KeyEvent, taken_at: float) -> bool:
        """Act on a press; False when the hub did not answer in its time."""
        if dev.kind == "evaluator":
            return self._rating(dev, event, taken_at)
        return self._counter_key(dev, event, taken_at)

    def _counter_key(self, dev: Device, event: KeyEvent, taken_at: float) -> bool:
        counter = dev.counter
        state = self.displays.state(counter)
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
            return True
        if the_plan.error is not None:
            self.displays.notify(counter, *the_plan.error, beep=True)
            return True
        try:
            done = self._run(counter, event, taken_at, the_plan)
        except HubUnreachable:
            self.stats["unreachable"] += 1
            log.warning("press %s: the hub did not answer in time", event.idempotency_key)
            return False
        if done is not None:
            name, result = done
            if name == "finish" and result.get("number"):
                self._last_finished[counter] = str(result["number"])
                self.evaluators.start(counter, str(result["number"]))
            elif name == "sign_out":
                self.evaluators.cancel(counter)
        return True

    def _run(
        self, counter: str, event: KeyEvent, taken_at: float, the_plan: Plan
    ) -> tuple[str, dict[str, Any]] | None:
        """Try the plan's steps; show the outcome; the successful step and its result.
        Raises HubUnreachable when the hub did not answer in the press's time."""
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
            self.stats["done"] += 1
            self.displays.predicted(counter, step.command, result)
            return step.command, result
        if first is not None:
            self.stats["refused"] += 1
            self.displays.refused(counter, first.code, first.message, first.hint, beep=True)
        return None

    def _execute(self, name: str, args: dict[str, Any], key: str, taken_at: float) -> Any:
        left = self.settings.command_timeout - (self.clock() - taken_at)
        if left <= 0:
            raise HubUnreachable(key, "the press waited too long")
        return self.client.execute(name, args, key=key, timeout=left)

    # ------------------------------------------------------------ evaluators

    def _eval_request(self, dev: Device) -> None:
        counter = dev.counter
        cur = self.displays.state(counter).get("current")
        number = str(cur["number"]) if cur else self._last_finished.get(counter)
        if not self._kind(counter, "evaluator"):
            self.displays.notify(counter, "未配置评价器", beep=True)
        elif number is None:
            self.displays.notify(counter, "没有可评价的号", beep=True)
        else:
            self.evaluators.start(counter, number)
            self.displays.notify(counter, "请评价", number)

    def _rating(self, dev: Device, event: KeyEvent, taken_at: float) -> bool:
        asked = self.evaluators.asked(dev)
        number = event.arg.upper() if TICKET.match(event.arg) else asked
        args: dict[str, Any] = {"counter": dev.counter, "rating": event.rating}
        if number:
            args["number"] = number
        try:
            result = self._execute("evaluate", args, event.idempotency_key, taken_at)
        except CommandRefused as refusal:
            self.stats["refused"] += 1
            self.evaluators.settled(dev, number)
            self.displays.refused(dev.counter, refusal.code, refusal.message, refusal.hint, False)
            return True
        except HubUnreachable:
            self.stats["unreachable"] += 1
            log.warning("rating %s: the hub did not answer in time", event.idempotency_key)
            return False
        self.stats["ratings"] += 1
        self.evaluators.settled(dev, number)
        words = v.RATING_ZH.get(event.rating or 0, "未评价")
        self.displays.notify(dev.counter, f"评价：{words}", str(result.get("number") or ""))
        return True

    # ------------------------------------------------------------ state → displays

    def _on_state(self, topic: str, payload: dict[str, Any]) -> None:
        if not topic.startswith(p.COUNTER_PREFIX):
            return
        counter = topic[len(p.COUNTER_PREFIX) :]
        if counter in self.by_counter:
            self.displays.set_state(counter, payload)

    def _on_link(self, up: bool) -> None:
        if up:
            self.held.wake()
        self.displays.set_link(up)

    def _held_count(self, counter: str) -> int:
        return self.held.count(counter) if hasattr(self, "held") else 0

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.2):
            self.displays.expire()
            self.noise.flush()

    # ------------------------------------------------------------ device reports

    def _report_loop(self) -> None:
        while True:
            item = self._reports.get()
            if item is None:
                return
            dev, online = item
            self.report(
                f"{self.settings.pads_id}/{dev.link}/{dev.address}",
                REPORT_KIND[dev.kind],
                online,
                "ok" if online else "offline",
            )

    def report(self, device: str, kind: str, ok: bool, state: str, detail: str = "") -> None:
        """Tell the hub about a device (on the calling thread, a few seconds at most)."""
        args: dict[str, Any] = {"device": device, "kind": kind, "ok": ok, "state": state}
        if detail:
            args["detail"] = detail[:200]
        try:
            self.client.execute("report_device", args, timeout=5.0)
        except (CommandRefused, HubUnreachable) as exc:
            log.warning("device report %s not delivered: %s", device, exc)

    # ------------------------------------------------------------ helpers

    def _kind(self, counter: str, kind: Kind) -> list[Device]:
        return [d for d in self.by_counter.get(counter, ()) if d.kind == kind]

    def _out(self, dev: Device) -> Output:
        return self.outputs[dev.link]


def _fits(dev: Device, event: KeyEvent) -> bool:
    """Whether this kind of device sends this key: ratings from evaluators, the rest from
    call-pads; counter displays send none."""
    rating = event.rating is not None or event.key == Key.NO_RATING
    return (dev.kind == "evaluator" and rating) or (dev.kind == "call_pad" and not rating)
