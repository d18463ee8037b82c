"""A USB numeric keypad as a counter's call-pad, for halls without RS-485 pads.

The device is read (and grabbed) by ``drivers.input`` (evdev, reopened after an unplug);
each key it types is mapped by the configured keymap to a digit or a pad key and typed
into the same interpreter as a legacy pad's keys (docs/PAD_PROTOCOL.md, "USB keypads"):
``1 2 3 4 *`` signs in staff 1234, ``Enter`` calls the next, ``0 1 2 Enter`` calls 012.

A keypad has no event numbers: each press gets the link's session number and count,
goes to the journal, and leaves it when the hub has answered (replayed after a crash).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from counter_pad import frames_legacy as fl
from counter_pad.keys import Key, KeyEvent, KeyPress
from counter_pad.legacy_keys import LegacyKeyInterpreter, Rejected
from counter_pad.master import OnKey, OnStatus
from counter_pad.memory import PressJournal
from counter_pad.settings import Keypad

log = logging.getLogger(__name__)

ADDRESS = 1  # a keypad is one device: (its name, 1) in the pads service

CODES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    "call": fl.KEY_CALL,
    "recall": fl.KEY_RECALL,
    "evaluate": fl.KEY_EVALUATE,
    "pause": fl.KEY_PAUSE,
    "transfer": fl.KEY_TRANSFER,
    "cancel": fl.KEY_CANCEL,
    "function": fl.KEY_FUNCTION,
}
DIRECT: dict[str, Key] = {
    "call_next": Key.CALL_NEXT,
    "skip": Key.SKIP,
    "start": Key.START,
    "finish": Key.FINISH,
    "resume": Key.RESUME,
    "hold": Key.HOLD,
    "call_back": Key.CALL_BACK,
    "logout": Key.LOGOUT,
}


class KeymapError(ValueError):
    pass


def typed_names(keymap: Mapping[str, str]) -> dict[str, str]:
    """The keymap by what ``drivers.input``'s key decoder reports for each key
    ("1", "+", "enter", "backspace"…); refuses keys it cannot report and collisions."""
    from evdev import ecodes

    from drivers.input import keymap as km

    out: dict[str, str] = {}
    for name, action in keymap.items():
        code = ecodes.ecodes.get(name)
        if not isinstance(code, int):
            raise KeymapError(f"{name} is not an evdev key name")
        if code in km.ENTERS:
            typed: str | None = "enter"
        elif code == km.BACKSPACE:
            typed = "backspace"
        else:
            typed = km.char_for(code, False)
        if typed is None:
            raise KeymapError(f"{name} is not a key a keypad types (digits, + - * / . Enter)")
        if out.get(typed, action) != action:
            raise KeymapError(f"{name} types {typed!r} like another key mapped to {out[typed]}")
        out[typed] = action
    return out


class KeypadLink:
    def __init__(
        self,
        spec: Keypad,
        journal: PressJournal,
        on_key: OnKey,
        on_status: OnStatus | None = None,
        *,
        opener: Callable[[], Any] | None = None,
        epoch: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
        auto_confirm: bool = True,
        retry_s: float = 2.0,
    ) -> None:
        from drivers.input import InputConfig, make_input

        self.name = spec.name
        self.actions = typed_names(spec.keymap)
        self.journal = journal
        self.on_key = on_key
        self.on_status = on_status
        self.clock = clock
        self.auto_confirm = auto_confirm
        self.stats: Counter[str] = Counter()
        self.interpreter = LegacyKeyInterpreter()
        self.session = journal.next_session(spec.name)
        self.epoch = epoch()
        self._count = 0
        self._lock = threading.Lock()
        config = InputConfig(
            name=spec.name,
            kind="evdev",
            role="keypad",
            path=spec.device,
            match_name=spec.device_name,
            grab=spec.grab,
            retry_s=retry_s,
        )
        self.source = make_input(config, self._on_input, self._on_state, opener=opener)

    def start(self) -> KeypadLink:
        for event in self.journal.journal_pending(self.name):
            self._deliver(event)
        self.source.start()
        return self

    def stop(self) -> None:
        self.source.stop()

    def confirm(self, event: KeyEvent) -> None:
        self.journal.journal_done(event)

    def _on_state(self, name: str, state: Any, detail: str) -> None:
        if self.on_status is not None and state.value in ("ready", "absent", "unplugged", "busy"):
            self.on_status(ADDRESS, bool(state.ok))

    def _on_input(self, name: str, result: Any) -> None:
        from drivers.input import Key as TypedKey

        if isinstance(result, TypedKey):
            self.type_key(result.name)

    def type_key(self, typed: str) -> None:
        """One key the keypad typed ("1", "enter", …), as the decoder reports it."""
        self.stats["keys"] += 1
        action = self.actions.get(typed)
        if action is None:
            self.stats["unmapped"] += 1
            return
        with self._lock:
            outcome: KeyPress | Rejected | None
            if action in DIRECT:
                self.interpreter.press(fl.KEY_CANCEL, self.clock())
                outcome = KeyPress(DIRECT[action])
            else:
                outcome = self.interpreter.press(CODES[action], self.clock())
            if isinstance(outcome, Rejected):
                self.stats["rejected_sequences"] += 1
                log.info("keypad %s: %s", self.name, outcome.reason)
                return
            if outcome is None:
                return
            self._count += 1
            event = KeyEvent(
                self.name,
                ADDRESS,
                self.session,
                self._count,
                outcome.key,
                outcome.arg,
                epoch=self.epoch,
                serial=self._count,
                memory=self.journal.generation,
            )
            self.journal.journal_add(event)
        self._deliver(event)

    def _deliver(self, event: KeyEvent) -> None:
        try:
            self.on_key(event)
        except Exception:
            log.exception("keypad %s: on_key failed for %s", self.name, event.idempotency_key)
            return
        if self.auto_confirm:
            self.confirm(event)
