"""Screenshots of the display without a screen: `python -m display.render --out DIR`.

Reads JSON lines on stdin and draws them with the real model and window, offscreen:

    {"board": {...}, "link": true}         the hub's board, as retained on the bus
    {"catalog": {...}}                     the hub's catalog (opening hours)
    {"call": {...}, "at": "<iso time>"}    a live call (shown large, flashing)
    {"settle": true}                       no call flashing any more
    {"shot": "display-landscape-1.png", "layout": "landscape", "now": "<iso time>"}
    {"quit": true}

For each shot it prints one JSON line `{"saved": "<path>"}` (or `{"error": ...}`). The
demo (`display.demo`) runs it as a child process, so the simulated day's process never
loads Qt and never waits on drawing. Sizes: landscape 1920x1080, portrait 1080x1920.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--hall-name", default="", help="shown until a board names the hall")
    parser.add_argument("--highlight", type=float, default=8.0, help="highlight seconds")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with contextlib.suppress(OSError):
        os.nice(10)  # the simulated day comes first

    from PySide6.QtWidgets import QApplication

    from .model import DisplayModel
    from .view import DisplayWindow

    app = QApplication.instance() or QApplication([])
    args.out.mkdir(parents=True, exist_ok=True)
    model = DisplayModel(hall_name=args.hall_name, highlight_seconds=args.highlight)
    windows: dict[str, DisplayWindow] = {}
    for layout, (width, height) in SIZES.items():
        window = DisplayWindow(layout)  # type: ignore[arg-type]
        window.resize(width, height)
        window.show()
        windows[layout] = window
    app.processEvents()
    now = datetime.now().astimezone()

    for line in sys.stdin:
        try:
            job: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            _say({"error": "not a JSON line"})
            continue
        if job.get("quit"):
            break
        if isinstance(job.get("link"), bool):
            model.set_link(job["link"])
        if isinstance(job.get("catalog"), dict):
            model.apply_catalog(job["catalog"])
        if isinstance(job.get("board"), dict):
            model.apply_board(job["board"])
        if job.get("settle"):
            model.end_highlight()
        if isinstance(job.get("call"), dict):
            model.apply_call(job["call"], time.monotonic())
        if isinstance(job.get("now"), str):
            now = _time(job["now"], now)
        shot = job.get("shot")
        layout = job.get("layout", "landscape")
        if isinstance(shot, str) and layout in windows:
            window = windows[layout]
            window.show_screen(model.screen(now, time.monotonic(), window.service_rows))
            app.processEvents()
            path = args.out / Path(shot).name
            if window.grab().save(str(path)):
                _say({"saved": str(path), "texts": window.texts()})
            else:
                _say({"error": f"could not save {path.name}"})
    for window in windows.values():
        window.close()
    return 0


def _time(text: str, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return default


def _say(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(main())
