"""The [hub] section of the hall's config file, and what the hub reads of the config."""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from hall.settings import HallCommon, StrictSection


class HubSection(StrictSection):
    """The hub service: the queue on the hall bus."""

    notice: str = Field("", max_length=200, description="The hall's notice line on the displays")
    tick_seconds: float = Field(1.0, gt=0, le=60, description="Housekeeping interval")
    devices: str = Field(
        "devices.toml",
        description="The registry of the hall's other boxes (kiosks, displays, pad lines, "
        "technicians) that may use the hall bus, relative to the config; `hall device` "
        "keeps it. This box's own roles need no entry",
    )
    masked_names: bool = Field(
        False,
        description="Send the city's masked name (张*) of appointment tickets with their calls, "
        "for halls whose displays show it; off: numbers only",
    )


class HubConfig(HallCommon, Protocol):
    @property
    def hub(self) -> HubSection: ...
