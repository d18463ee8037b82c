"""The layers, as docs/ARCHITECTURE.md draws them, kept by walking every import.

- library (`hall`): the queue core, store, bus, hub protocol and shared plumbing; it imports
  no role, no driver and not the application;
- drivers (`drivers`): each device behind a small interface; no role, no application;
- roles (`hub`, `kiosk`, `display`, `counter_pad`, `sync`): the library and the drivers,
  never another role and never the application;
- application (`appliance`): config composition, the `hall` command, ops, demo; above all.

Every import counts, those inside functions too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = "hall"
DRIVERS = "drivers"
ROLES = ("hub", "kiosk", "display", "counter_pad", "sync")
APP = "appliance"
OURS = (LIBRARY, DRIVERS, *ROLES, APP)
MQTT_MODULE = "hall/mqtt.py"


def imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for a in node.names:  # `from hall import sdnotify` imports hall.sdnotify
                yield node.lineno, f"{module}.{a.name}"


def sources(top: str) -> list[Path]:
    return sorted(p for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def top_of(module: str) -> str:
    return module.split(".")[0]


def offenders(top: str, allowed: set[str]) -> list[str]:
    out = []
    for path in sources(top):
        for line, module in imports(path):
            t = top_of(module)
            if t in OURS and t != top and t not in allowed:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(out))


def test_every_layer_has_its_packages() -> None:
    for top in OURS:
        assert sources(top), top


def test_library_imports_no_role_driver_or_application() -> None:
    assert offenders(LIBRARY, set()) == []


def test_drivers_import_no_role_or_application() -> None:
    assert offenders(DRIVERS, {LIBRARY}) == []


@pytest.mark.parametrize("role", ROLES)
def test_a_role_imports_the_library_and_drivers_only(role: str) -> None:
    assert offenders(role, {LIBRARY, DRIVERS}) == []


def test_only_one_module_imports_paho() -> None:
    found = sorted(
        {
            str(path.relative_to(ROOT))
            for top in OURS
            for path in sources(top)
            for _line, module in imports(path)
            if top_of(module) == "paho"
        }
    )
    assert found == [MQTT_MODULE]


def test_the_core_imports_only_itself_of_ours() -> None:
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sources("hall/core")
        for _line, module in imports(path)
        if top_of(module) in OURS and not module.startswith("hall.core")
    ]
    assert bad == []
