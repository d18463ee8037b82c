"""What every input source shares: a thread, its state, reopening, delivery of results."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from typing import Any

from drivers.input.decoder import Rejected

log = logging.getLogger(__name__)


class InputState(enum.Enum):
    STARTING = "starting"
    READY = "ready"
    ABSENT = "absent"  # not there at all (never plugged, wrong path)
    UNPLUGGED = "unplugged"  # was there, went away
    BUSY = "busy"  # another process holds it (grab refused)
    STOPPED = "stopped"

    @property
    def ok(self) -> bool:
        return self is InputState.READY


class InputSource:
    """One device on its own thread. Subclasses implement ``_session`` (open, read until the
    device fails or ``_stopping`` is set) and may override ``_wake`` to cut a wait short."""

    def __init__(
        self,
        name: str,
        *,
        on_input: Callable[[str, Any], None],
        on_state: Callable[[str, InputState, str], None] | None,
        retry_s: float,
    ) -> None:
        self.name = name
        self.retry_s = retry_s
        self.state = InputState.STARTING
        self.rejected: dict[str, int] = {}
        self.delivered = 0
        self._on_input = on_input
        self._on_state = on_state
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> InputSource:
        if self._thread is not None:
            raise RuntimeError(f"input {self.name} already started")
        self._thread = threading.Thread(target=self._run, name=f"input-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close_wake()
        self._set_state(InputState.STOPPED, "")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._session()
            except Exception as exc:  # a driver bug must not end the kiosk's scanning
                log.exception("input %s: unexpected failure", self.name)
                self._set_state(InputState.UNPLUGGED, f"{type(exc).__name__}")
            if not self._stopping.is_set():
                self._stopping.wait(self.retry_s)

    def _session(self) -> None:
        raise NotImplementedError

    def _wake(self) -> None:
        """Interrupt a blocking wait inside ``_session`` (default: none needed)."""

    def _close_wake(self) -> None:
        """Release what ``_wake`` uses, after the thread ended."""

    def _set_state(self, state: InputState, detail: str) -> None:
        if state is self.state:
            return
        self.state = state
        level = logging.INFO if state in (InputState.READY, InputState.STOPPED) else logging.WARNING
        log.log(level, "input %s: %s %s", self.name, state.value, detail)
        if self._on_state is not None:
            self._on_state(self.name, state, detail)

    def _deliver(self, result: Any) -> None:
        if isinstance(result, Rejected):
            self.rejected[result.reason] = self.rejected.get(result.reason, 0) + 1
            log.info(
                "input %s: line dropped (%s, %d chars)", self.name, result.reason, result.length
            )
        else:
            self.delivered += 1
        self._on_input(self.name, result)
