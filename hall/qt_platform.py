"""Before a window opens on an X11 desktop: are the libraries of Qt's xcb plugin there?

Qt 6.5+ loads its X11 platform plugin (``libqxcb.so``) only with libxcb-cursor0 and a dozen
other xcb libraries that a Debian desktop may lack; without them Qt aborts with its own
"could not load the Qt platform plugin xcb". ``missing_packages`` asks the dynamic loader
(``ldd`` on the plugin) first, so `hall demo` and `hall display --windowed` can say in one
line which Debian packages to install instead. Offscreen and Wayland need none of these.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
}
"""A shared library the xcb plugin needs → the Debian package that ships it."""

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def not_found(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` could not find, in its order, each once."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def missing_libraries(binary: Path) -> list[str]:
    """The shared libraries ``binary`` needs that the loader cannot find ([] when ``ldd`` is
    not installed: then Qt says for itself)."""
    ldd = shutil.which("ldd")
    if ldd is None or not binary.exists():
        return []
    run = subprocess.run([ldd, str(binary)], capture_output=True, text=True, check=False)
    return not_found(run.stdout)


def uses_xcb(env: Mapping[str, str] = os.environ) -> bool:
    """Whether Qt will pick its X11 plugin: asked for, or an X display without Wayland."""
    asked = env.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(":", 1)[0].split(";", 1)[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path:
    from PySide6.QtCore import QLibraryInfo

    plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
    return Path(plugins) / "platforms" / "libqxcb.so"


def missing_packages(env: Mapping[str, str] = os.environ) -> str | None:
    """One line naming the Debian packages to install when Qt's xcb plugin will be used and
    cannot load; None when nothing is missing (or another platform is used)."""
    if not uses_xcb(env):
        return None
    missing = missing_libraries(xcb_plugin())
    if not missing:
        return None
    packages = list(dict.fromkeys(DEBIAN_PACKAGES.get(lib, lib) for lib in missing))
    return (
        f"Qt's X11 (xcb) platform plugin cannot load: missing {', '.join(missing)}; "
        f"install them: sudo apt-get install {' '.join(packages)} (or: scripts/dev demo)"
    )
