"""Settings every role shares, and the base of every config section.

The hall's config is one TOML file with one strict schema (pydantic: typed settings, exact
error locations, a JSON Schema to publish). This module holds the sections every role reads
([hall], [queue], [bus], [[counters]]) and `HallCommon`, what a role may rely on in the
composed config. Each role keeps its own section next to its code (`kiosk/settings.py` …)
with a Protocol naming what it reads; the application layer (`appliance/config.py`) puts
them together into `HallConfig`, which satisfies every role's Protocol.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hall.core.catalog import CatalogError, parse_catalog
from hall.core.model import Catalog
from hall.core.rules import AfterMax, PrintFailure, Rules, TransferPosition


class StrictSection(BaseModel):
    """The base of every config section: strict, frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


_Strict = StrictSection

HALL_ID = re.compile(r"^\d{6}-[A-Z0-9]{1,12}$")

Role = Literal["hub", "kiosk", "display", "pads", "sync"]
ROLES: tuple[Role, ...] = ("hub", "kiosk", "display", "pads", "sync")


class HallSection(_Strict):
    id: Annotated[str, Field(description="The hall's id: division code, dash, 1–12 of A-Z0-9")]
    name: Annotated[str, Field(min_length=1, max_length=40, description="Shown and printed")]
    timezone: str = Field("Asia/Shanghai", description="IANA zone of the hall's business day")
    database: str = Field("hall.db", description="SQLite file, relative to the config file")
    catalog: str = Field(
        "catalog.json", description="Initial service catalog (contract shape), relative"
    )
    roles: list[Role] = Field(
        default_factory=lambda: list(ROLES),
        min_length=1,
        description="The roles this box runs (hub kiosk display pads sync); default: all of "
        "them on one box (a small station). `hall doctor` checks these roles; only a box "
        "with the hub needs [[counters]]. `hall provision` writes it",
    )

    @field_validator("id")
    @classmethod
    def _hall_id(cls, v: str) -> str:
        if not HALL_ID.match(v):
            raise ValueError("must look like 410411-ZH01 (six digits, dash, 1–12 of A-Z0-9)")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{v}' is not a known time zone (for example Asia/Shanghai)"
            ) from None
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[Role]) -> list[Role]:
        dup = sorted({r for r in v if v.count(r) > 1})
        if dup:
            raise ValueError(f"role(s) listed twice: {', '.join(dup)}")
        return v


class QueueSection(_Strict):
    number_width: int = Field(3, ge=2, le=5, description="Digits in a ticket number (A001)")
    after_max: Literal["widen", "refuse"] = Field(
        "widen", description="Past A999: widen to A1000, or refuse further tickets that day"
    )
    priority_credit_minutes: float = Field(30, ge=0, le=240)
    appointment_credit_minutes: float = Field(60, ge=0, le=480)
    appointment_before_minutes: int = Field(15, ge=0, le=240)
    appointment_after_minutes: int = Field(15, ge=0, le=240)
    checkin_open_minutes: int = Field(120, ge=0, le=720)
    preference_step_minutes: float = Field(10, ge=0, le=240)
    max_recalls: int = Field(3, ge=0, le=10)
    double_press_seconds: float = Field(
        2.0,
        ge=0,
        le=30,
        description="A second call-next this soon after a call at the same counter is taken "
        "as a double press and refused, so the citizen just called is not finished; 0: off",
    )
    skip_after_calls: int = Field(2, ge=1, le=10)
    transfer_position: Literal["keep", "front"] = "keep"
    print_confirm_seconds: int = Field(60, ge=5, le=3600)
    print_failure: Literal["void", "reprint"] = "void"
    ewma_alpha: float = Field(0.2, gt=0, le=1)
    board_recent_calls: int = Field(10, ge=1, le=50)
    remote_arrive_minutes: int = Field(
        60,
        ge=10,
        le=480,
        description="云叫号: a number taken from a phone is cancelled as a no-show if its "
        "citizen has not arrived this long after it was issued",
    )
    remote_limit_per_service: int = Field(
        30, ge=0, le=1000, description="云叫号: at most this many remote tickets wait per service"
    )
    reminder_ahead: int = Field(
        3,
        ge=0,
        le=50,
        description="即将到号: the city is told a followed ticket is approaching once at most "
        "this many are ahead …",
    )
    reminder_minutes: int = Field(
        10, ge=0, le=120, description="… or its estimated wait is at most this many minutes"
    )
    remote_ahead_weight: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="云叫号: in the wait estimate, a remote ticket ahead whose citizen has not "
        "arrived counts as this share of a place (most are passed over at their turn)",
    )

    @model_validator(mode="after")
    def _checkin_window(self) -> QueueSection:
        if self.checkin_open_minutes < self.appointment_before_minutes:
            raise ValueError(
                "checkin_open_minutes must be at least appointment_before_minutes "
                f"({self.checkin_open_minutes} < {self.appointment_before_minutes})"
            )
        return self


class CounterSection(_Strict):
    id: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,8}$", description="Counter number")]
    name: str = Field("", max_length=16, description="Shown name; empty: '<id>号窗口'")
    services: list[str] = Field(min_length=1, description="Service codes, most preferred first")


class BusSection(_Strict):
    """The hall bus (MQTT on the hall's own Mosquitto). Every role logs in with its device id
    and its own password; from another box, over TLS (docs/SECURITY.md)."""

    host: str = Field(
        "127.0.0.1",
        description="The hall's Mosquitto: 127.0.0.1 on the hub box (plain TCP, loopback "
        "only); the hub box's LAN address on the others (with tls = true, port 8883)",
    )
    port: int = Field(1883, ge=1, le=65535)
    request_timeout_s: float = Field(3.0, gt=0, le=60)
    tls: bool = Field(
        False,
        description="TLS to the hall's Mosquitto (its LAN listener), checked against ca_file; "
        "required on every box but the hub's (`hall device join` sets it)",
    )
    ca_file: str = Field(
        "trust/hall-bus-ca.pem",
        description="The hall's own CA (made on the hub box by `hall device setup`), relative "
        "to the config",
    )
    credentials: str = Field(
        "secrets/bus",
        description="Folder of this box's hall-bus passwords, one file <device id>.key per "
        "role, readable by that role's user only (`hall device setup` on the hub box, "
        "`hall device join` on the others), relative to the config",
    )


class HallBase(_Strict):
    """The sections every role reads and what follows from them; `appliance.config.HallConfig`
    adds each role's own section."""

    hall: HallSection
    queue: QueueSection = QueueSection()
    bus: BusSection = BusSection()
    counters: list[CounterSection] = Field(
        default_factory=list,
        description="The hall's counters: at least one on the box that runs the hub; other "
        "boxes need none (a pads box lists the counters of its devices)",
    )

    # Set by load(): where the file was, to resolve relative paths. Not a config key.
    source: Path = Field(Path("."), exclude=True)

    @model_validator(mode="after")
    def _unique_counters(self) -> Self:
        ids = [c.id for c in self.counters]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"key 'counters': counter id(s) listed twice: {', '.join(dup)}")
        if "hub" in self.hall.roles and not self.counters:
            raise ValueError(
                "key 'counters' is required on a box that runs the hub ([hall] roles has "
                '"hub"): add at least one [[counters]] (id, services)'
            )
        return self

    def has_role(self, role: str) -> bool:
        return role in self.hall.roles

    @property
    def roles_given(self) -> bool:
        """Whether the file says `[hall] roles` (else the default, all roles)."""
        return "roles" in self.hall.model_fields_set

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.hall.timezone)

    @property
    def base(self) -> Path:
        return self.source.parent

    @property
    def database_path(self) -> Path:
        return self.base / self.hall.database

    @property
    def catalog_path(self) -> Path:
        return self.base / self.hall.catalog

    def rules(self) -> Rules:
        q = self.queue
        return Rules(
            number_width=q.number_width,
            after_max=AfterMax(q.after_max),
            priority_credit_minutes=q.priority_credit_minutes,
            appointment_credit_minutes=q.appointment_credit_minutes,
            appointment_before_minutes=q.appointment_before_minutes,
            appointment_after_minutes=q.appointment_after_minutes,
            checkin_open_minutes=q.checkin_open_minutes,
            preference_step_minutes=q.preference_step_minutes,
            max_recalls=q.max_recalls,
            double_press_seconds=q.double_press_seconds,
            skip_after_calls=q.skip_after_calls,
            transfer_position=TransferPosition(q.transfer_position),
            print_confirm_seconds=q.print_confirm_seconds,
            print_failure=PrintFailure(q.print_failure),
            ewma_alpha=q.ewma_alpha,
            board_recent_calls=q.board_recent_calls,
            remote_arrive_minutes=q.remote_arrive_minutes,
            remote_limit_per_service=q.remote_limit_per_service,
            reminder_ahead=q.reminder_ahead,
            reminder_minutes=q.reminder_minutes,
            remote_ahead_weight=q.remote_ahead_weight,
        )

    def counters_wire(self) -> list[dict[str, Any]]:
        return [{"id": c.id, "name": c.name, "services": list(c.services)} for c in self.counters]

    def load_catalog(self) -> tuple[Catalog, dict[str, Any]]:
        path = self.catalog_path
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{self.source}: hall.catalog: file {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        try:
            catalog = parse_catalog(raw)
        except CatalogError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        codes = {s.code for s in catalog.services}
        for c in self.counters:
            unknown = [s for s in c.services if s not in codes]
            if unknown:
                raise ConfigError(
                    f"{self.source}: counters id={c.id}: services {', '.join(unknown)} are not "
                    f"in the catalog {path.name} (known: {', '.join(sorted(codes))})"
                )
        return catalog, raw


class HallCommon(Protocol):
    """What every role may read of the composed config (`appliance.config.HallConfig`)."""

    @property
    def hall(self) -> HallSection: ...
    @property
    def queue(self) -> QueueSection: ...
    @property
    def bus(self) -> BusSection: ...
    @property
    def counters(self) -> list[CounterSection]: ...
    @property
    def source(self) -> Path: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def base(self) -> Path: ...
    @property
    def database_path(self) -> Path: ...
    @property
    def catalog_path(self) -> Path: ...
    def has_role(self, role: str) -> bool: ...
    def rules(self) -> Rules: ...
    def counters_wire(self) -> list[dict[str, Any]]: ...
    def load_catalog(self) -> tuple[Catalog, dict[str, Any]]: ...
    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self: ...
