"""Evaluator prompts that outlive `hall pads`.

When FINISH succeeds at a counter (or the staff press EVAL_REQUEST) every evaluator of
that counter is asked to rate the ticket (EVAL_START). The prompt is written to the pads'
memory first (:class:`counter_pad.durable.Prompt`), before the press that caused it is
acknowledged, and leaves it when the hub has stored the rating (or the evaluator's own
no-rating timeout), when the counter signs out, or when a newer ticket replaces it. So a
`hall pads` killed with prompts pending (not yet sent, or sent and not yet answered) finds
them when it starts again:

- a prompt younger than ``reprompt_s`` is sent again (the citizen may still be there);
- an older one is settled as "no rating" (as the evaluator's own timeout would have), once:
  the hub stores it under a key made from the prompt, so a second restart repeats the key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from counter_pad.durable import DurableState, Prompt
from counter_pad.keys import Key, KeyEvent

log = logging.getLogger(__name__)


class EvalDevice(Protocol):
    @property
    def link(self) -> str: ...

    @property
    def address(self) -> int: ...

    @property
    def counter(self) -> str: ...


class EvalOutput(Protocol):
    def eval_start(self, address: int, ticket: str) -> None: ...

    def eval_cancel(self, address: int) -> None: ...


class Evaluators:
    def __init__(
        self,
        store: DurableState,
        evaluators: Callable[[str], Iterable[EvalDevice]],
        output: Callable[[EvalDevice], EvalOutput],
        *,
        reprompt_s: float = 120.0,
        generation: int = 0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.evaluators = evaluators  # a counter's evaluators
        self.output = output
        self.reprompt_s = reprompt_s
        self.generation = generation
        self.wall = wall
        self._lock = threading.Lock()
        self._asked: dict[tuple[str, int], str] = {}  # evaluator -> ticket asked

    def start(self, counter: str, number: str) -> int:
        """Ask the counter's evaluators to rate ``number``; how many were asked."""
        asked = 0
        for dev in self.evaluators(counter):
            self.store.prompt_put(Prompt(dev.link, dev.address, counter, number, self.wall()))
            with self._lock:
                self._asked[(dev.link, dev.address)] = number
            self.output(dev).eval_start(dev.address, number)
            asked += 1
        return asked

    def asked(self, dev: EvalDevice) -> str | None:
        """The ticket this evaluator was last asked to rate (taken: asked once)."""
        with self._lock:
            return self._asked.pop((dev.link, dev.address), None)

    def settled(self, dev: EvalDevice, number: str | None) -> None:
        """The hub has stored (or refused) the rating of ``number`` from ``dev``."""
        self.store.prompt_done(dev.link, dev.address, number)

    def cancel(self, counter: str) -> None:
        """The counter signed out: no evaluation is pending there any more."""
        for dev in self.evaluators(counter):
            self.store.prompt_done(dev.link, dev.address)
            with self._lock:
                self._asked.pop((dev.link, dev.address), None)
            self.output(dev).eval_cancel(dev.address)

    def restore(self, devices: Iterable[EvalDevice], settle: Callable[[KeyEvent], None]) -> None:
        """At start: ask again what is pending and young, settle what is old."""
        known = {(d.link, d.address): d for d in devices}
        now = self.wall()
        for prompt in self.store.prompts():
            dev = known.get((prompt.link, prompt.address))
            if dev is None:  # the evaluator is no longer configured
                self.store.prompt_done(prompt.link, prompt.address)
                continue
            if 0 <= now - prompt.at <= self.reprompt_s:
                log.info("evaluator %s/%d asked again for %s", dev.link, dev.address, prompt.number)
                with self._lock:
                    self._asked[(dev.link, dev.address)] = prompt.number
                self.output(dev).eval_start(dev.address, prompt.number)
            else:
                log.info(
                    "evaluator %s/%d: %s settled as no rating", dev.link, dev.address, prompt.number
                )
                settle(self.no_rating(prompt))

    def no_rating(self, prompt: Prompt) -> KeyEvent:
        """The evaluator's no-rating timeout for ``prompt``, with a key of its own."""
        return KeyEvent(
            prompt.link,
            prompt.address,
            0,
            0,
            Key.NO_RATING,
            prompt.number,
            epoch=int(prompt.at * 1000) % 1_000_000_000,
            serial=0,
            memory=self.generation,
        )
