"""The base of every config section: strict, frozen, unknown keys refused.

Each role keeps its own section model next to its code (kiosk/settings.py,
display/settings.py, counter_pad/settings.py, sync/settings.py); hall/config.py puts
them together into the one TOML file's schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictSection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
