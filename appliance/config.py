"""The hall's configuration: one TOML file, one strict schema, read once.

pydantic (chosen for typed settings, exact error locations and a JSON Schema we can
publish) checks every key; an unknown key, a wrong type or an out-of-range value stops
start-up with the file, the key and what is allowed. Components receive the typed
`HallConfig`, never the raw dict.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from counter_pad.settings import PadsSection
from display.settings import DisplaySection
from hall.settings import ROLES, ConfigError, HallBase, Role
from hub.settings import HubSection
from kiosk.settings import KioskSection
from sync.settings import SyncSection

__all__ = ["ROLES", "ConfigError", "HallConfig", "Role", "json_schema", "load", "parse"]


class HallConfig(HallBase):
    """The whole config file: the common sections and every role's own."""

    hub: HubSection = HubSection()
    kiosk: KioskSection = KioskSection()
    display: DisplaySection = DisplaySection()
    pads: PadsSection = PadsSection()
    sync: SyncSection = SyncSection()


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    if not loc:  # the whole file's rules (model validators) name their keys themselves
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return (
            f"key '{loc}' is not a known setting (check the spelling; see config/hall.schema.json)"
        )
    if kind == "missing":
        return f"key '{loc}' is required"
    msg = err["msg"].removeprefix("Value error, ")
    given = err.get("input")
    shown = "" if isinstance(given, (dict, list)) else f" (got {given!r})"
    return f"key '{loc}': {msg}{shown}"


def parse(data: dict[str, Any], source: Path) -> HallConfig:
    try:
        cfg = HallConfig.model_validate({**data, "source": source})
    except ValidationError as exc:
        lines = [f"{source}: {_describe(e)}" for e in exc.errors()]  # type: ignore[arg-type]
        raise ConfigError("\n".join(lines)) from None
    return cfg


def load(path: str | Path) -> HallConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file (give one with --config)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return parse(data, p.resolve())


def json_schema() -> dict[str, Any]:
    schema = HallConfig.model_json_schema()
    schema.get("properties", {}).pop("source", None)
    schema["title"] = "Hall appliance configuration"
    return schema
