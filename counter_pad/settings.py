"""The [pads] section of the hall's config file."""

from __future__ import annotations

from pydantic import Field

from hall.settings_base import StrictSection


class PadsSection(StrictSection):
    id: str = Field(
        "pads-1", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="This pad master's name"
    )
