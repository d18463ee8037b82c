"""How a role registers itself with the application: its name, its config section and its
commands. Each role's `cli.py` has a `ROLE`; `appliance/cli/main.py` lists them and
`appliance/config.py` composes their sections (a test checks that the two agree)."""

from __future__ import annotations

from dataclasses import dataclass

import click

from hall.settings import Role, StrictSection


@dataclass(frozen=True)
class RoleSpec:
    name: Role
    section: type[StrictSection]
    """The role's section of the config file, composed under `[<name>]`."""
    commands: tuple[click.Command, ...]
