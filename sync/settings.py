"""The [sync] section of the hall's config file (the city link)."""

from __future__ import annotations

from pydantic import Field

from hall.settings_base import StrictSection


class SyncSection(StrictSection):
    id: str = Field(
        "sync", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="Client id on the hall bus"
    )
