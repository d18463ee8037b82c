"""Ticket printer driver: ESC/POS ticket bytes, DLE EOT status, transports and a simulator.

The kiosk calls ``create_printer(PrinterConfig(...))`` once, then ``Printer.print_ticket``
per ticket and ``Printer.status`` for the technician screen.
"""

import os as _os
import tempfile as _tempfile
from pathlib import Path as _Path


def _escpos_cache() -> None:
    """python-escpos parses its 3 MB capabilities YAML on every import (0.5 s here) unless it
    finds its pickle, which it writes into a new temporary folder per process (never removed)
    unless ESCPOS_CAPABILITIES_PICKLE_DIR names one. Give it one folder that stays."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in _os.environ:
        return
    base = _os.environ.get("XDG_CACHE_HOME") or _os.path.expanduser("~/.cache")
    for folder in (
        _Path(base) / "hall" / "escpos",
        _Path(_tempfile.gettempdir()) / f"hall-escpos-{_os.getuid()}",
    ):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        if _os.access(folder, _os.W_OK):
            _os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
            _escpos_pickle(folder)
            return


def _escpos_pickle(folder: _Path) -> None:
    """Write python-escpos's pickle ourselves, whole or not at all (a temporary file renamed):
    escpos writes it in place, so a second process importing it meanwhile (the kiosk and the
    doctor at boot, two test workers) read half a file and failed with EOFError."""
    import pickle
    import platform
    from importlib import resources

    target = folder / f"{platform.python_version()}.capabilities.pickle"
    try:
        source = resources.files("escpos") / "capabilities.json"
        with resources.as_file(source) as path:
            if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
                return
            import yaml  # type: ignore[import-untyped]

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fd, tmp = _tempfile.mkstemp(dir=folder, suffix=".tmp")
        with _os.fdopen(fd, "wb") as out:
            pickle.dump(data, out)
        _os.replace(tmp, target)
    except Exception:  # any failure: escpos reads the YAML itself, as before
        return


_escpos_cache()

from drivers.printer.driver import (  # noqa: E402 (after _escpos_cache)
    KINDS,
    Deadlines,
    Printer,
    PrinterConfig,
    PrinterSettings,
    PrintResult,
    create_printer,
    make_transport,
    printer_config,
)
from drivers.printer.errors import FailureReason, PrinterConfigError, PrinterError  # noqa: E402
from drivers.printer.profiles import (  # noqa: E402
    COMPACT_58MM,
    DEFAULT_80MM,
    PROFILES,
    RASTER_QR_80MM,
    PrinterProfile,
    get_profile,
)
from drivers.printer.simulator import Faults, SimulatedPrinter, SimulatorServer  # noqa: E402
from drivers.printer.status import PrinterState, PrinterStatus  # noqa: E402
from drivers.printer.ticket import CUTS, TicketPrint, build_test_page, build_ticket  # noqa: E402

__all__ = [
    "COMPACT_58MM",
    "CUTS",
    "DEFAULT_80MM",
    "KINDS",
    "PROFILES",
    "RASTER_QR_80MM",
    "Deadlines",
    "FailureReason",
    "Faults",
    "PrintResult",
    "Printer",
    "PrinterConfig",
    "PrinterConfigError",
    "PrinterError",
    "PrinterProfile",
    "PrinterSettings",
    "PrinterState",
    "PrinterStatus",
    "SimulatedPrinter",
    "SimulatorServer",
    "TicketPrint",
    "build_test_page",
    "build_ticket",
    "create_printer",
    "get_profile",
    "make_transport",
    "printer_config",
]
