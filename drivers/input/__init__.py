"""Scanners and keypads: evdev keyboard wedges (grabbed) and serial-mode scanners.

``make_input(InputConfig(...), on_input, on_state)`` builds the source a config names and
``start()`` runs it on its own thread. ``on_input(name, result)`` receives ``Scan`` (a whole
line), ``Key`` (keypads) or ``Rejected`` values, on the input's thread; ``on_state(name,
state, detail)`` every change of ``InputState`` (ready, absent, unplugged, busy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.input.base import InputSource, InputState
from drivers.input.decoder import Key, KeyDecoder, LineDecoder, Rejected, Scan

KINDS = ("evdev", "serial")
ROLES = ("scanner", "keypad")


@dataclass(frozen=True)
class InputConfig:
    name: str
    kind: str = "evdev"
    role: str = "scanner"
    path: str = ""
    match_name: str = ""
    baudrate: int = 9600
    grab: bool = True
    reject_human_speed: bool = False
    max_key_gap_ms: float = 60.0
    min_length: int = 4
    retry_s: float = 2.0


def make_input(
    config: InputConfig,
    on_input: Callable[[str, Any], None],
    on_state: Callable[[str, InputState, str], None] | None = None,
    *,
    opener: Callable[[], Any] | None = None,
) -> InputSource:
    """The source ``config`` describes (not started). ``opener`` replaces evdev's open."""
    if config.role not in ROLES:
        raise ValueError(f"input {config.name}: unknown role {config.role!r}; allowed: {ROLES}")
    if config.kind == "evdev":
        from drivers.input.evdev_reader import EvdevInput, evdev_opener

        decoder: LineDecoder | KeyDecoder
        if config.role == "keypad":
            decoder = KeyDecoder()
        else:
            decoder = LineDecoder(
                min_length=config.min_length,
                reject_human_speed=config.reject_human_speed,
                max_key_gap_ms=config.max_key_gap_ms,
            )
        return EvdevInput(
            config.name,
            opener or evdev_opener(config.path, config.match_name),
            decoder,
            grab=config.grab,
            retry_s=config.retry_s,
            on_input=on_input,
            on_state=on_state,
        )
    if config.kind == "serial":
        from drivers.input.serial_reader import SerialInput

        return SerialInput(
            config.name,
            config.path,
            baudrate=config.baudrate,
            min_length=config.min_length,
            retry_s=config.retry_s,
            on_input=on_input,
            on_state=on_state,
        )
    raise ValueError(f"input {config.name}: unknown kind {config.kind!r}; allowed: {KINDS}")


__all__ = [
    "KINDS",
    "InputConfig",
    "InputSource",
    "InputState",
    "Key",
    "KeyDecoder",
    "LineDecoder",
    "Rejected",
    "Scan",
    "make_input",
]
