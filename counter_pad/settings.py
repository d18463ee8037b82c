"""The [pads] section of the hall's config file.

```toml
[pads]
id = "pads-1"

[[pads.buses]]
name = "bus1"
port = "/dev/serial/by-id/usb-FTDI_USB-RS485-if00-port0"
profile = "v1"                     # or "legacy" (FF 68 … 16 call-pads)
baud = 115200                      # the default; 9600 for long lines (legacy: 9600 if unset)
devices = [
  { address = 1, counter = "1" },                      # a call-pad
  { address = 2, counter = "1", kind = "evaluator" },
]

[[pads.keypads]]
name = "kp3"
device = "/dev/input/by-id/usb-0c45_USB_Keypad-event-kbd"
counter = "3"
```
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import Field, field_validator, model_validator

from hall.settings import HallCommon, StrictSection

COUNTER_ID = r"^[0-9A-Za-z]{1,8}$"
NAME = r"^[A-Za-z0-9_-]{1,16}$"

#: What a keypad key can do: a digit, or one of the legacy pad's keys (same sequences).
KEYPAD_ACTIONS = frozenset(
    {*"0123456789", "call", "recall", "evaluate", "pause", "transfer", "cancel", "function"}
    | {"call_next", "skip", "start", "finish", "resume", "hold", "call_back", "logout"}
)

DEFAULT_KEYMAP: dict[str, str] = {
    **{f"KEY_KP{d}": str(d) for d in range(10)},
    "KEY_KPENTER": "call",
    "KEY_KPPLUS": "recall",
    "KEY_KPMINUS": "pause",
    "KEY_KPASTERISK": "function",
    "KEY_KPSLASH": "transfer",
    "KEY_KPDOT": "evaluate",
    "KEY_BACKSPACE": "cancel",
}


class PadDevice(StrictSection):
    address: int = Field(ge=1, le=31, description="The device's bus address (1-31)")
    counter: str = Field(pattern=COUNTER_ID, description="The counter it belongs to")
    kind: Literal["call_pad", "evaluator", "display"] = Field(
        "call_pad", description="call_pad 呼叫器, evaluator 评价器, display 窗口屏"
    )


class PadBus(StrictSection):
    name: str = Field(pattern=NAME, description="Short name, part of every press's key")
    port: str = Field(min_length=1, description="Serial port path, best /dev/serial/by-id/…")
    profile: Literal["v1", "legacy"] = Field("v1", description="Protocol the devices speak")
    baud: Literal[9600, 19200, 38400, 57600, 115200] = Field(
        115200,
        description="Line speed: 115200 for new lines; 9600 for long or legacy ones "
        "(docs/PAD_PROTOCOL.md, wiring)",
    )
    devices: list[PadDevice] = Field(min_length=1, description="The devices on this line")
    reply_timeout_ms: float = Field(
        50, ge=5, le=1000, description="Wait for a reply's first byte (v1) or an echo (legacy)"
    )
    gap_ms: float = Field(5, ge=1, le=100, description="Inter-byte gap that ends a frame")
    retries: int = Field(2, ge=0, le=5, description="Tries after the first before offline")
    offline_poll_s: float = Field(2.0, ge=0.2, le=60, description="Retry of offline devices")

    @model_validator(mode="before")
    @classmethod
    def _legacy_speed(cls, data: object) -> object:
        """115200 is for new (v1) lines; a legacy line without ``baud`` keeps its pads' 9600."""
        if isinstance(data, dict) and data.get("profile") == "legacy" and "baud" not in data:
            return {**data, "baud": 9600}
        return data

    @model_validator(mode="after")
    def _devices(self) -> PadBus:
        addrs = [d.address for d in self.devices]
        dup = sorted({a for a in addrs if addrs.count(a) > 1})
        if dup:
            raise ValueError(f"bus {self.name}: address(es) {dup} listed twice")
        if self.profile == "legacy":
            other = [d.address for d in self.devices if d.kind != "call_pad"]
            if other:
                raise ValueError(
                    f"bus {self.name}: legacy lines carry call-pads only (address {other})"
                )
        return self


class Keypad(StrictSection):
    name: str = Field(pattern=NAME, description="Short name, part of every press's key")
    device: str = Field("", description="evdev path, best /dev/input/by-id/…-event-kbd")
    device_name: str = Field("", description="Or: the first input device whose name has this")
    counter: str = Field(pattern=COUNTER_ID, description="The counter it serves")
    grab: bool = Field(True, description="Grab the device so its keys reach nobody else")
    keymap: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_KEYMAP),
        description="evdev key name -> action (0-9, call, recall, function, …)",
    )

    @field_validator("keymap")
    @classmethod
    def _keymap(cls, v: dict[str, str]) -> dict[str, str]:
        bad = {k: a for k, a in v.items() if a not in KEYPAD_ACTIONS}
        if bad:
            raise ValueError(f"unknown action(s) {bad}; allowed: {sorted(KEYPAD_ACTIONS)}")
        names = [k for k in v if not k.startswith(("KEY_", "BTN_"))]
        if names:
            raise ValueError(f"key names must be evdev names like KEY_KP1, got {names}")
        return v

    @model_validator(mode="after")
    def _where(self) -> Keypad:
        if bool(self.device) == bool(self.device_name):
            raise ValueError(f"keypad {self.name}: give exactly one of device and device_name")
        return self


class PadsSection(StrictSection):
    id: str = Field(
        "pads-1", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="This pad master's name"
    )
    state_file: str = Field(
        "pads-state.db",
        min_length=1,
        description="The master's memory (SQLite), relative to the config file",
    )
    buses: list[PadBus] = Field(default_factory=list, description="RS-485/serial lines")
    keypads: list[Keypad] = Field(default_factory=list, description="USB numeric keypads")
    transfer_shortcuts: dict[str, str] = Field(
        default_factory=dict,
        description='Digits typed before TRANSFER -> service code, e.g. {"11" = "SB-001"}',
    )
    notice_seconds: float = Field(5.0, ge=0.5, le=60, description="How long errors show")
    error_beeps: int = Field(2, ge=0, le=5, description="Beeps with an error (0: none)")
    command_timeout_s: float = Field(
        20.0, ge=2, le=300, description="A press the hub has not taken by then is held"
    )
    held_call_s: float = Field(
        120, ge=0, le=3600, description="A held call (next, recall, skip, transfer) expires"
    )
    held_press_s: float = Field(
        900, ge=0, le=86400, description="Any other held counter key expires after this"
    )
    held_rating_s: float = Field(
        3600, ge=0, le=86400, description="A held evaluator rating expires after this"
    )
    held_max: int = Field(10, ge=1, le=100, description="Presses held per counter at most")
    eval_reprompt_s: float = Field(
        120,
        ge=0,
        le=3600,
        description="At start, a pending evaluation younger than this "
        "is asked again; an older one is stored as no rating",
    )

    @model_validator(mode="after")
    def _unique(self) -> PadsSection:
        names = [b.name for b in self.buses] + [k.name for k in self.keypads]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"bus/keypad name(s) {dup} used twice")
        ports = [b.port for b in self.buses]
        dup = sorted({n for n in ports if ports.count(n) > 1})
        if dup:
            raise ValueError(f"port(s) {dup} used by two buses")
        return self


class PadsConfig(HallCommon, Protocol):
    """What the pads role reads of the composed config: the common sections and [pads]."""

    @property
    def pads(self) -> PadsSection: ...
