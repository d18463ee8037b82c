"""Before a window opens on X11: the xcb plugin's missing libraries said in one line with the
Debian packages to install (issue 18: `hall demo` on a desktop), nothing said otherwise."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hall import qt_platform

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd2b1e5000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f1ca2e00000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f1ca3147000)
"""


def test_not_found_lists_each_missing_library_once() -> None:
    assert qt_platform.not_found(LDD) == ["libxcb-cursor.so.0", "libxcb-keysyms.so.1"]
    assert qt_platform.not_found("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


@pytest.mark.parametrize(
    ("env", "xcb"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb:display=:1"}, True),
        ({}, False),
    ],
)
def test_only_the_x11_platform_is_checked(env: dict[str, str], xcb: bool) -> None:
    assert qt_platform.uses_xcb(env) is xcb


def test_a_binary_with_its_libraries_misses_none() -> None:
    assert qt_platform.missing_libraries(Path(shutil.which("ls") or "/bin/ls")) == []


def test_the_message_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        qt_platform, "missing_libraries", lambda _p: ["libxcb-cursor.so.0", "libfoo.so.2"]
    )
    line = qt_platform.missing_packages({"DISPLAY": ":0"})
    assert line is not None and "\n" not in line
    assert "sudo apt-get install libxcb-cursor0 libfoo.so.2" in line
    assert qt_platform.missing_packages({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_the_real_plugin_is_where_qt_looks() -> None:
    """The plugin checked is the one Qt would load; what it misses maps to packages."""
    plugin = qt_platform.xcb_plugin()
    assert plugin.name == "libqxcb.so" and plugin.exists()
    for lib in qt_platform.missing_libraries(plugin):  # this box may lack some (not needed)
        assert lib in qt_platform.DEBIAN_PACKAGES, f"{lib}: which Debian package ships it?"


def test_scripts_dev_installs_every_package_named() -> None:
    """`scripts/dev demo` installs what the message may tell people to install."""
    script = (Path(__file__).resolve().parents[2] / "scripts/dev").read_text(encoding="utf-8")
    lists = "".join(
        re.search(rf"^{name}=\((.*?)^\)", script, re.MULTILINE | re.DOTALL)[1]  # type: ignore[index]
        for name in ("APT_PACKAGES", "DESKTOP_PACKAGES")
    )
    installed = {w for line in lists.splitlines() for w in line.split("#", 1)[0].split()}
    assert set(qt_platform.DEBIAN_PACKAGES.values()) <= installed
