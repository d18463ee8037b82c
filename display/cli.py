"""`hall display`: the waiting-hall screen and spoken calls, on the hub's hall bus."""

from __future__ import annotations

import sys

import click

from display.settings import DisplaySection
from hall.clikit import config_option, handle_errors, load_config
from hall.roles import RoleSpec


@click.command("display")
@config_option
@click.option(
    "--windowed", is_flag=True, help="In a window (1280x720, 720x1280 portrait), not full screen."
)
@click.option("--portrait", is_flag=True, help="Portrait layout, whatever the config says.")
@handle_errors
def command(config_path: str, windowed: bool, portrait: bool) -> None:
    """Show the waiting-hall display and announce the calls (Ctrl+C or SIGTERM to stop).

    Connects to the hall bus given in the config's [bus] section, as the [display] id.
    """
    cfg = load_config(config_path)
    from hall.qt_platform import missing_packages

    problem = missing_packages()  # before Qt aborts with its own words
    if problem is not None:
        raise click.ClickException(problem)
    from .runner import run  # Qt is loaded only here

    sys.exit(run(cfg, windowed=windowed, orientation="portrait" if portrait else None))


ROLE = RoleSpec(name="display", section=DisplaySection, commands=(command,))
