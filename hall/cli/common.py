"""What every `hall` subcommand shares: loading the config, opening the store, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click

from hall import config
from hall.core.errors import Refused
from hall.store.schema import SchemaError
from hall.store.store import HallStore, StoreError
from hall.system import SystemClock

F = TypeVar("F", bound=Callable[..., Any])

EXIT_REFUSED = 3
EXIT_CONFIG = 2
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


def fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def require_role(cfg: config.HallConfig, role: str, config_path: str) -> None:
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
        except config.ConfigError as exc:
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


def load_config(path: str) -> config.HallConfig:
    return config.load(path)


@contextmanager
def open_store(cfg: config.HallConfig, *, must_exist: bool = True) -> Iterator[HallStore]:
    path = cfg.database_path
    if must_exist and not path.exists():
        raise StoreError(f"{path} does not exist: run `hall init --config {cfg.source}` first")
    store = HallStore(path, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=SystemClock())
    try:
        yield store
    finally:
        store.close()


def emit(data: Any, as_json: bool, text: str | Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        click.echo(text() if callable(text) else text)
