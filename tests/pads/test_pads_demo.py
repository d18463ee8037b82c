"""The headless demo's pads: scripted presses on simulated pads, transcripts written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.local import LocalHall
from counter_pad.demo import run_scripted
from tests.pads.rig import open_clock

pytestmark = pytest.mark.timeout(60)


def test_run_scripted_presses_and_writes_transcripts(tmp_path: Path) -> None:
    with LocalHall(tmp_path / "hall", clock=open_clock()) as hall:
        summary = run_scripted(tmp_path / "out", hall.bus, hall.cfg, presses=20)
        hall.settle()
        calls = [e for e in hall.events() if e["type"] == "ticket.called"]
        ratings = [e for e in hall.events() if e["type"] == "evaluation.submitted"]
    assert summary["presses"] >= 20
    assert summary["refused"] == 0 and summary["acted"] >= 15
    assert summary["ratings"] == len(ratings) >= 1  # the evaluators answer in their own time
    assert len(calls) >= 3
    assert summary["seconds"] < 10
    files = sorted(p.name for p in (tmp_path / "out" / "pads").iterdir())
    assert files[0] == "evaluator-04-counter-1.txt" and "pad-01-counter-1.txt" in files
    text = (tmp_path / "out" / "pads" / "pad-01-counter-1.txt").read_text(encoding="utf-8")
    assert "未签到" in text and "评价：" in text
    assert re.search(r"A00\d 已呼叫", text) and re.search(r"A00\d 办理中", text)
