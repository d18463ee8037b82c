"""deploy/screen-check.sh's verdict on a screenshot: facts read from the PNG, then the checks.

A role's window on the box must fill the output (no compositor black on any edge), must not
be blank, and must have no title bar or close button: Qt's own decorations are a band of
text and buttons across the top, while the kiosk and the display keep their top margin one
colour. tests/deploy/test_screen_check.py shows each verdict on drawn pictures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Report:
    def __init__(self) -> None:
        self.failed = 0
        self.lines: list[dict[str, Any]] = []

    def check(self, ok: bool, text: str, **details: Any) -> bool:
        print(f"check: {'ok  ' if ok else 'FAIL'} {text}", flush=True)
        self.failed += not ok
        self.lines.append({"ok": ok, "check": text, **details})
        return ok


def analyse(png: Path) -> dict[str, Any]:
    """Facts about the screenshot: size, black, how many colours, the edges, the top band."""
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    if img.isNull():
        return {"error": f"{png} is not a readable PNG"}
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    w, h = img.width(), img.height()

    def px(x: int, y: int) -> int:
        return int(img.pixel(x, y)) & 0xFFFFFF

    step = 4
    samples = [px(x, y) for y in range(0, h, step) for x in range(0, w, step)]
    black = sum(1 for p in samples if p == 0) / len(samples)
    edges = [px(x, 0) for x in range(w)] + [px(x, h - 1) for x in range(w)]
    edges += [px(0, y) for y in range(h)] + [px(w - 1, y) for y in range(h)]
    edge_black = sum(1 for p in edges if p == 0) / len(edges)
    # A title bar is a band across the top (Qt's Wayland decoration: 30 px) with the window's
    # title and its buttons, in its own colour: rows that are not one colour, a close button
    # in the top right corner, and a top left pixel unlike the window's own edge below the
    # band. The roles keep at least their top 8 px one colour (the kiosk's header buttons
    # start lower; its margin shrinks with the screen).
    band = 8
    mixed_rows = [y for y in range(band) if len({px(x, y) for x in range(0, w, 2)}) > 1]
    corner = {px(x, y) for x in range(w - 48, w) for y in range(band)}
    below = px(0, min(40, h - 1))
    return {
        "size": [w, h],
        "black_fraction": round(black, 4),
        "edge_black_fraction": round(edge_black, 4),
        "colours": len(set(samples)),
        "top_rows_not_one_colour": mixed_rows,
        "top_right_colours": len(corner),
        "top_left": f"#{px(0, 0):06x}",
        "left_edge_below_band": f"#{below:06x}",
    }


def judge(role: str, f: dict[str, Any], report: Report) -> None:
    if "error" in f:
        report.check(False, f"{role}: {f['error']}")
        return
    w, h = f["size"]
    report.check(
        f["edge_black_fraction"] == 0.0,
        f"{role}: the window fills the {w}x{h} output "
        f"(compositor black on {f['edge_black_fraction']:.1%} of the edges)",
    )
    report.check(
        f["black_fraction"] < 0.05 and f["colours"] >= 4,
        f"{role}: not blank ({f['black_fraction']:.1%} black, {f['colours']} colours)",
    )
    report.check(
        not f["top_rows_not_one_colour"]
        and f["top_right_colours"] == 1
        and f["top_left"] == f.get("left_edge_below_band", f["top_left"]),
        f"{role}: no title bar or close button (top 8 rows one colour each, top right corner "
        f"{f['top_right_colours']} colour, top left {f['top_left']} as the left edge at 40 px "
        f"{f.get('left_edge_below_band')})",
    )
