"""`hall hub --config FILE`: run the hub service."""

from __future__ import annotations

import click

from hall.clikit import (
    EXIT_STORE,
    config_option,
    fail,
    handle_errors,
    hooks,
    load_config,
    require_role,
)
from hall.roles import RoleSpec
from hub.settings import HubSection


@click.command("hub")
@config_option
@handle_errors
def command(config_path: str) -> None:
    """Run the queue as the hall's hub on the hall bus (the only writer of the database)."""
    from hall.singleton import LockError
    from hub.runner import UntrustedDatabase, run_hub

    cfg = load_config(config_path)
    require_role(cfg, "hub", config_path)
    try:
        code = run_hub(cfg, trust=hooks().hub_trust(cfg))
    except LockError as exc:
        fail(str(exc), EXIT_STORE)
        return
    except UntrustedDatabase as exc:
        fail("\n".join(f"database error: {f.message}" for f in exc.findings), EXIT_STORE)
        return
    raise SystemExit(code)


ROLE = RoleSpec(name="hub", section=HubSection, commands=(command,))
