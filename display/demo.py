"""The display in `hall demo --headless`: screenshots and a sample of spoken calls.

    handle = display.demo.attach(out, bus, cfg)   # before the simulated day starts
    ...                                           # the day runs on `bus`
    files = handle.close()                        # a few seconds at most

While the day runs, the display listens on the bus like a real one (`DisplayFeed`), but
does almost nothing on the day's time: it keeps the newest board, announces a bounded
sample of calls (the first `calls` calls and the first `recalls` recalls) through the real
announcer into `out/announcements/NNN.wav` with the spoken text in `NNN.txt`, and at a few
moments (the 8th call, the `busy_at`-th call, the end) hands the state to a child process
(`python -m display.render`) that draws the real window offscreen and saves
`out/screens/display-<layout>-<n>.png`, landscape and portrait.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.speech import Announcer, Call, FilePlayer
from hall.bus.interface import Bus
from hall.core.timekeeping import Clock

from .calls import CallView
from .feed import DisplayFeed
from .speech import engine_for, speech_settings

_log = logging.getLogger(__name__)

LAYOUTS = ("landscape", "portrait")


class SampledAnnouncer:
    """Passes on the first `calls` calls and the first `recalls` recalls, drops the rest."""

    def __init__(self, announcer: Announcer, calls: int, recalls: int) -> None:
        self.announcer = announcer
        self.left = {False: calls, True: recalls}
        self.taken: list[Call] = []

    def announce(self, call: Call) -> bool:
        if self.left[call.recall] <= 0:
            return False
        self.left[call.recall] -= 1
        self.taken.append(call)
        return self.announcer.announce(call)


class DemoDisplay:
    def __init__(
        self,
        out: Path,
        bus: Bus,
        cfg: Any,
        *,
        calls: int = 8,
        recalls: int = 3,
        shots_at: tuple[int, ...] = (8, 150),
        clock: Clock | None = None,
    ) -> None:
        self.out = Path(out)
        self.screens = self.out / "screens"
        self.announcements = self.out / "announcements"
        self.shots_at = shots_at
        self._tz = cfg.tz
        self._clock = clock
        self._board: dict[str, Any] | None = None
        self._catalog: dict[str, Any] | None = None
        self._link = False
        self._last_call: dict[str, Any] | None = None
        self._calls = 0
        self._shots = 0
        self._jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._saved: list[Path] = []
        self.renderer_killed = False
        section = cfg.display.speech
        self.announcer = Announcer(
            engine_for(section, cfg.base),
            FilePlayer(self.announcements),
            speech_settings(section),
            clock=self._now,
        )
        self.sample = SampledAnnouncer(self.announcer, calls, recalls)
        self._renderer = self._start_renderer(cfg)
        self._writer = threading.Thread(target=self._write_jobs, name="demo-screens", daemon=True)
        self._writer.start()
        self.announcer.start()
        self.feed = DisplayFeed(
            bus,
            on_board=self._on_board,
            on_call=self._on_call,
            on_link=self._on_link,
            announcer=self.sample,
            on_catalog=self._on_catalog,
        )
        self.feed.start()

    # -- on the bus thread: cheap ------------------------------------------------------------

    def _on_board(self, board: dict[str, Any]) -> None:
        self._board = board

    def _on_catalog(self, catalog: dict[str, Any]) -> None:
        self._catalog = catalog

    def _on_link(self, up: bool) -> None:
        self._link = up

    def _on_call(self, call: CallView, _received: float) -> None:
        self._calls += 1
        self._last_call = {
            "number": call.number,
            "counter": call.counter,
            "counter_name": call.counter_name,
            "recall": call.recall,
            "seq": call.seq,
            "service": call.service,
        }
        if self._calls in self.shots_at:
            self._shoot(self._last_call)

    def _shoot(self, call: dict[str, Any] | None) -> None:
        """Screenshots of the board as it is now, with `call` just made (flashing)."""
        self._shots += 1
        now = self._now().isoformat()
        job = {"board": self._board, "link": self._link, "call": call, "now": now}
        if self._catalog is not None:
            job["catalog"] = self._catalog
        self._jobs.put({**job, "settle": call is None})
        for layout in LAYOUTS:
            self._jobs.put({"shot": f"display-{layout}-{self._shots}.png", "layout": layout})

    def _now(self) -> datetime:
        if self._clock is None:
            return datetime.now(self._tz)
        return datetime.fromtimestamp(self._clock.wall(), self._tz)

    # -- the child process that draws ------------------------------------------------------

    def _start_renderer(self, cfg: Any) -> subprocess.Popen[str] | None:
        argv = [sys.executable, "-m", "display.render", "--out", str(self.screens)]
        argv += ["--hall-name", cfg.hall.name, "--highlight", str(cfg.display.highlight_seconds)]
        try:
            return subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        except OSError as exc:
            _log.warning("display screenshots skipped: cannot start the renderer: %s", exc)
            return None

    def _write_jobs(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._renderer is None or self._renderer.stdin is None:
                continue
            try:
                self._renderer.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
                self._renderer.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                _log.warning("display screenshots stopped: %s", exc)
                self._renderer = None

    # -- the end ------------------------------------------------------------------------------

    def close(self, timeout: float = 30.0) -> list[Path]:
        """Take the last screenshots, finish the sample's announcements; the files written.
        A renderer that has not finished within `timeout` is killed (`renderer_killed`, a
        warning): its last screenshots are then missing."""
        self.feed.close()
        if self._board is not None:
            self._shoot(None)  # the day's end: the recent calls, nothing flashing
        self._jobs.put({"quit": True})
        self._jobs.put(None)
        self._writer.join(timeout / 2)
        if self._renderer is not None:
            try:
                stdout, _ = self._renderer.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._renderer.kill()
                stdout, _ = self._renderer.communicate()
                self.renderer_killed = True
                _log.warning("display renderer killed after %.0f s", timeout)
            for line in stdout.splitlines():
                if line.startswith("{") and '"saved"' in line:
                    self._saved.append(Path(json.loads(line)["saved"]))
        if not self.announcer.wait_idle(timeout / 2):
            _log.warning("announcements not finished after %.0f s", timeout / 2)
        self.announcer.stop(timeout=2.0)
        spoken = sorted(self.announcements.glob("*.wav")) if self.announcements.is_dir() else []
        texts = [p.with_suffix(".txt") for p in spoken if p.with_suffix(".txt").exists()]
        return [*self._saved, *sorted([*spoken, *texts])]


def attach(
    out: Path,
    bus: Bus,
    cfg: Any,
    *,
    clock: Clock | None = None,
    **options: Any,
) -> DemoDisplay:
    """Start the demo display on `bus` for the hall `cfg` (a `display.settings.DisplayConfig`);
    `close()` it after the day. `clock` (the simulation's `FixedClock`) gives the hall time
    the screenshots show and the time of day for quiet hours; default: the system clock.
    Options: `calls`, `recalls` (the sample announced), `shots_at` (call counts).
    """
    return DemoDisplay(out, bus, cfg, clock=clock, **options)
