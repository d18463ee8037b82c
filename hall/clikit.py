"""What every `hall` subcommand shares, the roles' own included: the --config and --json
options, one-line failures with exit codes, and the config loader.

The roles' commands live next to their code (`kiosk/cli.py` …) and are registered by the
application layer (`appliance/cli/main.py`), which also puts the config together: it hands
its loader down through click's context object (`AppHooks`), so a role never imports the
application layer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from hall.core.errors import Refused
from hall.devices import HubTrust
from hall.settings import ConfigError, HallCommon
from hall.store.schema import SchemaError
from hall.store.store import StoreError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CONFIG = 2
EXIT_REFUSED = 3
EXIT_STORE = 4

config_option = click.option(
    "--config",
    "config_path",
    envvar="HALL_CONFIG",
    default="/etc/hall/hall.toml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The hall's config file (TOML).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@dataclass(frozen=True)
class AppHooks:
    """What the application layer gives the roles' commands (click's `ctx.obj`).

    `load(path)` reads and checks a config file and returns the composed config, which
    satisfies every role's settings Protocol (`kiosk.settings.KioskConfig` …); `parse(data,
    path)` checks a config's data without reading a file (the city's pushed settings)."""

    load: Callable[[str | Path], Any]
    parse: Callable[[dict[str, Any], Path], Any]
    hub_trust: Callable[[Any], HubTrust]
    """The hub box's device registry and the city's token key, from the composed config."""


def hooks() -> AppHooks:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if not isinstance(obj, AppHooks):
        raise RuntimeError("a hall command ran outside the `hall` application (no AppHooks)")
    return obj


def load_config(path: str) -> Any:
    """The composed config from `path` (see `AppHooks.load`); ConfigError if unusable."""
    return hooks().load(path)


def fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def require_role(cfg: HallCommon, role: str, config_path: str) -> None:
    """Stop with a clear message when this box's config does not run `role`."""
    if not cfg.has_role(role):
        fail(
            f"{config_path}: [hall] roles = {list(cfg.hall.roles)} does not include "
            f'"{role}": this box does not run the {role}. Run it on the box whose config '
            f'lists it, or add "{role}" to [hall] roles',
            EXIT_CONFIG,
        )


def handle_errors(fn: F) -> F:
    """Turn the errors people can fix into one clear message and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            fail(f"config error: {exc}", EXIT_CONFIG)
        except (StoreError, SchemaError) as exc:
            fail(f"database error: {exc}", EXIT_STORE)
        except Refused as exc:
            as_json = kwargs.get("as_json")
            if as_json:
                click.echo(json.dumps({"ok": False, "error": exc.to_dict()}, ensure_ascii=False))
                sys.exit(EXIT_REFUSED)
            hint = f"（{exc.hint}）" if exc.hint else ""
            fail(f"{exc.message}{hint} [{exc.code}]", EXIT_REFUSED)

    return wrapper  # type: ignore[return-value]


def emit(data: Any, as_json: bool, text: str | Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        click.echo(text() if callable(text) else text)
