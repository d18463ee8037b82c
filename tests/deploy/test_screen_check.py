"""deploy/screen_check.py without a screen: it reads the units as systemd does, and it tells a
full-screen window from a black screen, a window that does not fill the output, and one with a
title bar. The run under cage with screenshots is deploy/chroot-check.sh's (issue 20)."""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sc = load("screen_check", ROOT / "deploy/screen_check.py")
hold = load("screencopy_hold", ROOT / "deploy/screencopy-hold.py")


@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_the_units_as_screen_check_reads_them(role: str) -> None:
    unit = sc.parse_unit(ROOT / f"systemd/hall-{role}.service")
    assert unit.exec_start[:4] == ["/usr/bin/cage", "-d", "-s", "--"]
    assert unit.exec_start[4:7] == ["/opt/hall/current/bin/hall", "-v", role]
    assert unit.env["QT_QPA_PLATFORM"] == "wayland"
    assert unit.env["QT_WAYLAND_DISABLE_WINDOWDECORATION"] == "1"
    assert unit.env["WLR_XWAYLAND"] == "/bin/false"  # cage 0.1.4 without Xwayland
    assert unit.env["XDG_RUNTIME_DIR"] == f"/run/hall-{role}"
    assert unit.runtime_dirs == [f"hall-{role}"] and unit.runtime_mode == 0o700
    assert (unit.user, unit.group) == (f"hall-{role}", f"hall-{role}")  # a user per role
    assert "video" in unit.groups and "render" in unit.groups and "hall" in unit.groups
    assert unit.umask == 0o077 and unit.no_new_privs
    assert not any(k.startswith("WLR_") and k != "WLR_XWAYLAND" for k in unit.env)


def test_unit_quoting_and_continuations(tmp_path: Path) -> None:
    path = tmp_path / "x.service"
    path.write_text(
        "[Unit]\nUser=nobody\n[Service]\n# a comment\nExecStart=-/usr/bin/cage -d \\\n"
        "  -- /bin/app 'two words'\nEnvironment=A=1 \"B=x y\"\nEnvironment=C=3\nUser=u\n"
    )
    unit = sc.parse_unit(path)
    assert unit.exec_start == ["/usr/bin/cage", "-d", "--", "/bin/app", "two words"]
    assert unit.env == {"A": "1", "B": "x y", "C": "3"}
    assert unit.user == "u"


def picture(tmp_path: Path, draw: Any) -> Path:
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])  # the widget tests share it
    img = QImage(320, 200, QImage.Format.Format_RGB32)
    img.fill(QColor("#f4f1ea"))  # the role's background
    p = QPainter(img)
    p.fillRect(40, 60, 240, 100, QColor("#1d5fa8"))  # its content
    p.setPen(QColor("#222222"))
    p.drawText(50, 100, "请 A001 号到 3 号窗口")
    draw(p, img)
    p.end()
    path = tmp_path / "shot.png"
    assert img.save(str(path))
    return path


def verdicts(tmp_path: Path, draw: Any) -> dict[str, bool]:
    report = sc.Report()
    sc.judge("kiosk", sc.analyse(picture(tmp_path, draw)), report)
    return {line["check"].split(" (")[0].split(": ")[1]: line["ok"] for line in report.lines}


def test_a_full_screen_window_passes(tmp_path: Path) -> None:
    assert all(verdicts(tmp_path, lambda p, img: None).values())


def test_black_is_not_a_screen(tmp_path: Path) -> None:
    from PySide6.QtGui import QColor

    got = verdicts(tmp_path, lambda p, img: p.fillRect(0, 0, 320, 200, QColor("black")))
    assert not got["not blank"]
    assert not got["the window fills the 320x200 output"]


def test_a_window_that_does_not_fill_the_output(tmp_path: Path) -> None:
    from PySide6.QtGui import QColor

    got = verdicts(tmp_path, lambda p, img: p.fillRect(300, 0, 20, 200, QColor("black")))
    assert not got["the window fills the 320x200 output"]


def test_a_title_bar_with_a_close_button(tmp_path: Path) -> None:
    from PySide6.QtGui import QColor

    def title_bar(p: Any, img: Any) -> None:  # as Qt's own decorations draw it
        p.fillRect(0, 0, 320, 28, QColor("#e8e8e8"))
        p.setPen(QColor("#333333"))
        p.drawText(120, 18, "hall kiosk")
        p.drawLine(300, 8, 310, 18)
        p.drawLine(310, 8, 300, 18)

    got = verdicts(tmp_path, title_bar)
    assert not got["no title bar or close button"]
    assert got["not blank"]


def test_wayland_strings_on_the_wire() -> None:
    raw = hold.string("wl_shm")
    assert raw == struct.pack("<I", 7) + b"wl_shm\0" + b"\0"
    assert len(raw) % 4 == 0
    assert hold.read_string(raw + b"tail", 0) == ("wl_shm", len(raw))
