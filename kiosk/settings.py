"""The [kiosk] section of the hall's config file."""

from __future__ import annotations

from pydantic import Field

from hall.settings_base import StrictSection


class KioskSection(StrictSection):
    id: str = Field("kiosk-1", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="This kiosk's name")
