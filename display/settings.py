"""The [display] section of the hall's config file."""

from __future__ import annotations

from pydantic import Field

from hall.settings_base import StrictSection


class DisplaySection(StrictSection):
    id: str = Field(
        "display-1", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="This screen's name"
    )
