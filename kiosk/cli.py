"""`hall kiosk --config FILE [--windowed] [--printer sim|usb|serial|network]`."""

from __future__ import annotations

import click

from hall.clikit import EXIT_CONFIG, config_option, fail, handle_errors, load_config
from hall.roles import RoleSpec
from kiosk.settings import KioskSection

PRINTERS = ("sim", "simulator", "usb", "serial", "network")


@click.command("kiosk")
@config_option
@click.option("--windowed", is_flag=True, help="A window instead of full screen (for testing).")
@click.option(
    "--printer",
    "printer_kind",
    type=click.Choice(PRINTERS),
    default=None,
    help="Override [kiosk.printer] kind; sim prints to memory (PNGs with sim_folder).",
)
@handle_errors
def command(config_path: str, windowed: bool, printer_kind: str | None) -> None:
    """Run the citizen's touch kiosk on the hall bus (the hub's Mosquitto from [bus])."""
    from kiosk.main import run_kiosk
    from kiosk.runtime import StartupError

    cfg = load_config(config_path)
    from hall.qt_platform import missing_packages

    problem = missing_packages()  # before Qt aborts with its own words
    if problem is not None:
        fail(problem, EXIT_CONFIG)
        return
    try:
        code = run_kiosk(cfg, windowed=windowed, printer_kind=printer_kind)
    except StartupError as exc:
        fail(f"config error: {exc}", EXIT_CONFIG)
        return
    raise SystemExit(code)


ROLE = RoleSpec(name="kiosk", section=KioskSection, commands=(command,))
