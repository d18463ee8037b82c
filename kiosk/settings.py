"""The [kiosk] section of the hall's config file.

```toml
[kiosk]
id = "kiosk-1"
technician_pin = "246810"
city_public_key = "base64 of the city's raw 32-byte Ed25519 public key"
id_hash_key_file = "secrets/id-hash.key"   # base64 text; relative to the config file

[kiosk.printer]
kind = "network"            # usb | serial | network | simulator
host = "192.168.1.50"

[[kiosk.inputs]]
name = "scanner-1"
kind = "evdev"              # evdev | serial
path = "/dev/input/by-id/usb-Netum_Scanner-event-kbd"
```
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import Field, field_validator, model_validator

from hall.settings import HallCommon, StrictSection

_NAME = r"^[A-Za-z0-9_.-]{1,32}$"

NO_TICKET_URL = (
    "[kiosk] ticket_url is empty: tickets print no QR code for following the queue on a phone "
    "(扫码查看排队进度)"
)
TICKET_URL_FIX = "ask the city for ticket_url (provisioning bundle or down/config)"
"""What `hall config check` and `hall doctor` say on a kiosk box without the city's URL."""


class PrinterSection(StrictSection):
    """The ticket printer (drivers/printer)."""

    kind: Literal["usb", "serial", "network", "simulator"] = Field(
        "simulator", description="How the printer is reached; simulator prints to memory/PNG"
    )
    profile: str = Field(
        "escpos-80mm-cn",
        description=(
            "Printer model profile: escpos-80mm-cn, escpos-58mm-cn, escpos-80mm-cn-raster-qr"
        ),
    )
    host: str = Field("127.0.0.1", description="network: the printer's address")
    port: int = Field(9100, ge=1, le=65535, description="network: TCP port (raw printing)")
    serial_port: str = Field("/dev/ttyUSB0", description="serial: device or pyserial URL")
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    usb_vendor: int = Field(0, ge=0, le=0xFFFF, description="usb: vendor id")
    usb_product: int = Field(0, ge=0, le=0xFFFF, description="usb: product id")
    connect_s: float = Field(2.0, gt=0, le=30, description="Deadline to connect, seconds")
    write_s: float = Field(5.0, gt=0, le=60, description="Deadline to send one ticket, seconds")
    status_s: float = Field(1.0, gt=0, le=10, description="Deadline of a DLE EOT status query")
    poll_seconds: int = Field(
        30,
        ge=5,
        le=3600,
        description="Status check while idle: reports faults and recoveries, pauses ticketing",
    )
    cut: Literal["full", "partial"] = Field(
        "full", description="Cut after each ticket: full, or partial (the ticket hangs on a tab)"
    )
    sim_folder: str = Field(
        "",
        description="simulator: folder (relative to the config) for a PNG and .bin per ticket",
    )

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, v: str) -> str:
        from drivers.printer.profiles import PROFILES

        if v not in PROFILES:
            raise ValueError(f"unknown printer profile; known: {', '.join(sorted(PROFILES))}")
        return v


class InputSection(StrictSection):
    """A scanner or keypad that types (evdev) or a scanner in USB serial mode (pyserial)."""

    name: str = Field(pattern=_NAME, description="Name in device reports, e.g. scanner-1")
    kind: Literal["evdev", "serial"] = "evdev"
    role: Literal["scanner", "keypad"] = Field(
        "scanner", description="scanner: whole lines ended by Enter; keypad: single keys"
    )
    path: str = Field(
        "", description="evdev: /dev/input/... (by-id link best); serial: device or pyserial URL"
    )
    match_name: str = Field("", description="evdev: pick the device whose name contains this")
    baudrate: int = Field(9600, ge=1200, le=921600, description="serial: line speed")
    grab: bool = Field(True, description="evdev: take the device for the kiosk alone")
    reject_human_speed: bool = Field(
        False, description="scanner: drop lines typed slower than max_key_gap_ms (a person)"
    )
    max_key_gap_ms: int = Field(
        60, ge=5, le=1000, description="Median gap between keys above which a line is human"
    )
    min_length: int = Field(4, ge=1, le=64, description="Shorter scanned lines are dropped")
    retry_seconds: float = Field(2.0, gt=0, le=60, description="Reopen an unplugged device")

    @model_validator(mode="after")
    def _where(self) -> InputSection:
        if not self.path and not (self.kind == "evdev" and self.match_name):
            raise ValueError(f"input {self.name}: give path (or match_name for evdev)")
        return self


class SpeechSection(StrictSection):
    """Spoken guidance in elder mode (drivers/speech)."""

    engine: Literal["espeak-ng", "pyttsx3", "none"] = "espeak-ng"
    player: Literal["aplay", "paplay", "file", "null"] = "aplay"
    folder: str = Field("", description="player 'file': folder for NNN.wav (relative)")
    deadline_s: float = Field(5.0, gt=0, le=30, description="Synthesis deadline per sentence")


class KioskSection(StrictSection):
    id: str = Field("kiosk-1", pattern=_NAME, description="This kiosk's name")
    language: Literal["zh", "en"] = Field("zh", description="Language shown at start")
    fullscreen: bool = Field(True, description="Full screen (hall kiosk --windowed overrides)")
    idle_seconds: int = Field(
        45, ge=10, le=600, description="Back to the home screen after this long untouched"
    )
    countdown_seconds: int = Field(
        10, ge=3, le=60, description="The last seconds before going home are counted down"
    )
    result_seconds: int = Field(
        15, ge=5, le=120, description="The ticket screen stays this long, then goes home"
    )
    elder_idle_seconds: int = Field(
        120, ge=30, le=900, description="Elder mode: back home after this long (no countdown)"
    )
    elder_scale: float = Field(1.6, ge=1.5, le=3.0, description="Elder mode text size factor")
    green_channel: bool = Field(
        True, description="Ask the 绿色通道 question (70+, disability, pregnancy)"
    )
    green_channel_services: list[str] = Field(
        default_factory=list, description="Services that ask it; empty: every service"
    )
    ticket_url: str = Field(
        "",
        description=(
            "The ticket's status page, printed as a QR code; {hall_id} {ticket_id} {number}. "
            "Empty: no QR code on tickets"
        ),
    )
    notice: str = Field(
        "请留意叫号，过号请到服务台咨询。本票当日有效。",
        max_length=120,
        description="Printed at the foot of each ticket",
    )
    technician_pin: str | None = Field(
        None, pattern=r"^[0-9]{4,8}$", description="4–8 digits; no PIN: no technician mode"
    )
    city_public_key: str = Field(
        "", description="The city's Ed25519 public key for appointment QR tokens (base64, raw)"
    )
    id_hash_key_file: str = Field(
        "", description="File with the city's identity-hash key (base64 text), relative"
    )
    state_dir: str = Field(
        "kiosk-state", description="Folder for the print journal (relative to the config)"
    )
    navigation: bool = Field(True, description="Show the 智能导航 (where else) button")
    printer: PrinterSection = PrinterSection()
    inputs: list[InputSection] = Field(default_factory=list)
    speech: SpeechSection = SpeechSection()

    @field_validator("ticket_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v:
            return v
        if "{ticket_id}" not in v or not v.isascii():
            raise ValueError("must be empty or an ASCII URL containing {ticket_id}")
        try:
            v.format(hall_id="x", ticket_id="x", number="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError("only {hall_id}, {ticket_id} and {number} may be used") from None
        return v

    @model_validator(mode="after")
    def _unique_inputs(self) -> KioskSection:
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError("kiosk.inputs: each input needs its own name")
        return self


class KioskConfig(HallCommon, Protocol):
    """What the kiosk role reads of the composed config: the common sections and [kiosk]."""

    @property
    def kiosk(self) -> KioskSection: ...
