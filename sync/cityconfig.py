"""Desired settings pushed by the city (`{h}/down/config`): applied whole and atomically.

The city sends whole config sections (`{"v":1,"version":7,"settings":{"queue":{…}}}`); the
hall takes them only when the version is higher than the one it applied, only for the
sections it lets the city manage (`sync.managed_sections`), and only when the whole
resulting file passes the hall's strict config schema. Then the file is replaced
atomically (temp file, fsync, rename, fsync of the folder). Otherwise nothing changes and
the hall keeps serving with its last good config; `config-reported` says why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hall import tomlwrite
from hall.files import write_atomic
from hall.settings import ConfigError


@dataclass(frozen=True, slots=True)
class ConfigOutcome:
    version: int
    applied: bool
    error: str = ""

    def report(self, current: int) -> dict[str, Any]:
        out: dict[str, Any] = {"v": 1, "version": self.version, "applied": self.applied}
        if self.error:
            out["error"] = self.error
        out["current"] = current
        return out


def _plain(err: str, path: Path) -> str:
    """A config error for the city: without the hall's file path, one line per problem."""
    return "; ".join(line.replace(f"{path}: ", "") for line in err.splitlines())[:900]


def merged_config(path: Path, settings: dict[str, Any], managed: list[str]) -> dict[str, Any]:
    """The config file's data with the city's sections in place, or ValueError saying why not."""
    unmanaged = sorted(k for k in settings if k not in managed)
    if unmanaged:
        raise ValueError(
            f"section(s) {', '.join(unmanaged)} are not managed by the city "
            f"(managed here: {', '.join(managed) or 'none'})"
        )
    not_tables = sorted(k for k, v in settings.items() if not isinstance(v, dict))
    if not_tables:
        raise ValueError(f"section(s) {', '.join(not_tables)} must be tables (JSON objects)")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    merged = dict(raw)
    merged.update(settings)
    return merged


ConfigValidator = Callable[[dict[str, Any], Path], object]
"""Checks a whole config's data against the hall's schema (the application's
`appliance.config.parse`), raising ConfigError with what is wrong."""


def apply_city_config(
    path: Path,
    payload: dict[str, Any],
    *,
    managed: list[str],
    current: int,
    validate: ConfigValidator,
) -> ConfigOutcome | None:
    """Apply a config message. None: not newer than `current` (nothing to do or report)."""
    version = int(payload["version"])
    if version <= current:
        return None
    settings = payload.get("settings")
    if not isinstance(settings, dict):
        return ConfigOutcome(version, False, "settings must be a JSON object of sections")
    try:
        data = merged_config(path, settings, managed)
        validate(data, path)
        text = tomlwrite.dumps(
            data,
            header=(
                f"Written by `hall sync`: city config version {version}.\n"
                f"Sections {', '.join(sorted(settings)) or '(none)'} come from the city; "
                "it replaces them whole."
            ),
        )
        again = tomllib.loads(text)
        if again != data:
            return ConfigOutcome(version, False, "internal: the written file would differ")
        validate(again, path)
    except ConfigError as exc:
        return ConfigOutcome(version, False, _plain(str(exc), path))
    except (ValueError, tomllib.TOMLDecodeError, tomlwrite.TomlWriteError) as exc:
        return ConfigOutcome(version, False, _plain(str(exc), path))
    except OSError as exc:
        return ConfigOutcome(version, False, f"cannot write the config file: {exc.strerror}")
    try:
        write_atomic(path, text.encode("utf-8"))  # keeps the file's mode
    except OSError as exc:
        return ConfigOutcome(version, False, f"cannot write the config file: {exc.strerror}")
    return ConfigOutcome(version, True)
