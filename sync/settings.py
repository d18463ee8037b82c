"""The [sync] section of the hall's config file (the city link).

One flat section in the file; in code it is put together from one settings model per part
of sync, so that each part receives the section typed as what it reads: the city link
(`CityLinkSettings`), the event sender (`SenderSettings`), the city's messages to the hall
(`InboundSettings`) and what the hall tells the city and its kiosks (`TelemetrySettings`).
`SyncSection` is all of them: a part is handed `cfg.sync` itself, never a copy of fields.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from hall.settings import HallCommon, StrictSection

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BATCH_EVENTS = 500
MAX_PAYLOAD = 256 * 1024


class CityLinkSettings(StrictSection):
    broker_url: str = Field(
        "mqtts://cityq.invalid:8883",
        description="The city broker: mqtts://host:port (TLS); mqtt:// only on loopback (tests)",
    )
    protocol: str = Field("5", pattern=r"^(5|3\.1\.1)$", description="MQTT version: 5 or 3.1.1")
    ca_file: str = Field("city-ca.pem", description="The city CA (PEM), relative to this file")
    cert_file: str = Field("hall.crt", description="The hall's client certificate (CN = hall id)")
    key_file: str = Field("hall.key", description="The private key of the hall's certificate")
    keepalive_s: int = Field(
        30,
        ge=2,
        le=600,
        description="MQTT keepalive; a silent broker is dropped after one keepalive of silence",
    )
    session_expiry_s: int = Field(
        7 * 86400, ge=0, le=30 * 86400, description="Persistent session kept by the broker"
    )
    connect_timeout_s: float = Field(10.0, gt=0, le=120, description="TCP + TLS + CONNACK")
    reconnect_min_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Backoff base (full jitter); the first retry after a drop waits at most this",
    )
    reconnect_max_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Backoff cap (full jitter): the longest wait between two attempts",
    )

    @field_validator("broker_url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must look like mqtts://host:8883 (or mqtt://127.0.0.1:1883)")
        if parts.scheme == "mqtt" and parts.hostname not in LOOPBACK:
            raise ValueError("plain mqtt:// is allowed on loopback only; use mqtts://")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("the port is not a number from 1 to 65535") from None
        return v

    @model_validator(mode="after")
    def _backoff(self) -> CityLinkSettings:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be at least reconnect_min_s")
        return self

    @property
    def tls(self) -> bool:
        return urlsplit(self.broker_url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.broker_url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.broker_url).port or (8883 if self.tls else 1883)


class SenderSettings(StrictSection):
    backlog_rate: int = Field(
        1000,
        ge=0,
        le=1_000_000,
        description="Backlog events per second at most (0: no bound); live events follow the "
        "backlog in order, so a bound also delays them",
    )
    batch_max_events: int = Field(MAX_BATCH_EVENTS, ge=1, le=MAX_BATCH_EVENTS)
    batch_max_bytes: int = Field(MAX_PAYLOAD, ge=4096, le=MAX_PAYLOAD)
    max_inflight_batches: int = Field(
        8, ge=1, le=64, description="Event batches sent and not yet answered by events-ack"
    )
    backlog_inflight_batches: int = Field(
        4,
        ge=1,
        le=64,
        description="Of those, backlog batches: what one hall puts before the city at once "
        "when a whole city replays",
    )
    ack_timeout_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="No events-ack for the oldest batch out and nothing after it: send again",
    )
    refused_retry_s: float = Field(
        60.0,
        ge=1,
        le=3600,
        description="The broker refuses our events (not authorized): one batch this often",
    )
    poll_interval_s: float = Field(
        0.05, gt=0, le=5, description="How often the hall's event log is read for new events"
    )


class InboundSettings(StrictSection):
    appointments_sync_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Ask again when a sync answer does not close a gap"
    )
    managed_sections: list[str] = Field(
        default_factory=lambda: ["queue", "hub"],
        description="Config sections the city may set through down/config",
    )
    reload_command: list[str] = Field(
        default_factory=list,
        description="Run after a city config was written (e.g. systemctl restart hall-hub)",
    )
    hub_timeout_s: float = Field(5.0, gt=0, le=120, description="Per command to the hub")

    @field_validator("managed_sections")
    @classmethod
    def _managed(cls, v: list[str]) -> list[str]:
        allowed = {"queue", "hub", "kiosk", "display", "pads"}
        bad = [s for s in v if s not in allowed]
        if bad:
            raise ValueError(f"cannot be managed by the city: {bad} (allowed: {sorted(allowed)})")
        return v


class TelemetrySettings(StrictSection):
    load_min_interval_s: float = Field(
        10.0, ge=10, le=600, description="Live load: on change, at most this often (contract)"
    )
    health_interval_s: float = Field(60.0, ge=5, le=3600, description="Health: this often")
    nearby_max_halls: int = Field(
        30, ge=1, le=200, description="Halls in hall/v1/state/nearby (nearest first)"
    )
    nearby_max_km: float = Field(80.0, gt=0, le=2000, description="Farther halls are left out")


class SyncSection(TelemetrySettings, InboundSettings, SenderSettings, CityLinkSettings):
    id: str = Field(
        "sync", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="Client id on the hall bus"
    )
    enabled: bool = Field(True, description="false: `hall sync` exits at once (no city link)")
    state_file: str = Field("sync.db", description="Sync's own SQLite, relative to this file")


class SyncConfig(HallCommon, Protocol):
    """What the sync role reads of the composed config: the common sections and [sync]."""

    @property
    def sync(self) -> SyncSection: ...
