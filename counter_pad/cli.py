"""`hall pads --config FILE`: run the counter call-pads, evaluators and keypads."""

from __future__ import annotations

import click

from counter_pad.settings import PadsSection
from hall.clikit import EXIT_STORE, config_option, fail, handle_errors, load_config
from hall.roles import RoleSpec


@click.command("pads")
@config_option
@handle_errors
def command(config_path: str) -> None:
    """Run the counter pads ([pads] in the config) against the hub on the hall bus."""
    from counter_pad.runner import run_pads
    from hall.singleton import LockError

    cfg = load_config(config_path)
    try:
        code = run_pads(cfg)
    except LockError as exc:
        fail(str(exc), EXIT_STORE)
        return
    raise SystemExit(code)


ROLE = RoleSpec(name="pads", section=PadsSection, commands=(command,))
