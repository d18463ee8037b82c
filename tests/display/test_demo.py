"""The demo hook: a simulated day on the bus gives screenshots and a sample of announcements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from appliance.local import LocalHall
from appliance.sim.day import DayPlan, DaySimulation
from display.demo import attach
from drivers.speech import read_wav
from hall.core import commands as c
from hall.core.errors import Refused
from hall.core.timekeeping import FixedClock
from hall.hubapi.client import CommandRefused, HallClient
from tests.conftest import DAY, TZ, at
from tests.speech.helpers import assert_speech


class BusPort:
    """The simulated day's commands go through the hub on the bus, as in `hall demo`."""

    def __init__(self, client: HallClient) -> None:
        self.client = client

    def execute(self, cmd: c.Command) -> dict[str, Any]:
        try:
            return self.client.run(cmd).to_dict()
        except CommandRefused as exc:
            raise Refused(exc.code, exc.message) from None


def test_a_simulated_day_gives_screens_and_announcements(tmp_path: Path) -> None:
    clock = FixedClock(at("08:00"))
    out = tmp_path / "demo"
    with LocalHall(tmp_path / "hall", clock=clock) as hall:
        _bus, client = hall.connect("sim", "tool")
        catalog, _raw = hall.cfg.load_catalog()
        counters = {x.id: list(x.services) for x in hall.cfg.counters}
        plan = DayPlan(day=DAY, tz=TZ, arrivals=160, seed=3, counters=counters)
        handle = attach(out, hall.bus("display-1", "display"), hall.cfg, clock=clock)
        outcome = DaySimulation(BusPort(client), clock, catalog, plan).run()
        files = handle.close()
        assert not handle.renderer_killed  # it finished its screenshots and quit by itself
    assert outcome.called > 20
    screens = sorted(p.name for p in files if p.suffix == ".png")
    assert {"display-landscape-1.png", "display-portrait-1.png"} <= set(screens)
    for name in screens:
        image = QImage(str(out / "screens" / name))
        size = (image.width(), image.height())
        assert size == ((1920, 1080) if "landscape" in name else (1080, 1920))
    wavs = sorted(p for p in files if p.suffix == ".wav")
    # the first 8 calls and 3 recalls, not the whole day; fewer files where a recall merged
    # with its waiting call or a backlog was announced shortened ("请 A001、A002 号到…")
    assert 4 <= len(wavs) <= 8 + 3
    for wav in wavs:
        text = wav.with_suffix(".txt").read_text(encoding="utf-8")
        assert text.startswith("请 ") and " 号到" in text, text
        assert_speech(read_wav(wav), 3.0, 14.0)
