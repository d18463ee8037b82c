"""The queue core imports no IO: no Qt, serial, evdev, escpos, speech, MQTT or SQLite."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {
    "PySide6",
    "serial",
    "evdev",
    "escpos",
    "pyttsx3",
    "paho",
    "sqlite3",
    "sqlite_utils",
    "socket",
    "subprocess",
    "requests",
    "urllib",
    "http",
    "asyncio",
    "threading",
    "time",
    "os",
    "shutil",
    "logging",
}
CORE = Path(__file__).resolve().parents[2] / "hall" / "core"


def test_core_modules_import_no_io() -> None:
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                if n.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}: {n}")
    assert not offenders, offenders
    assert len(list(CORE.glob("*.py"))) >= 10
