"""Helpers of the display tests: a speech engine held at a gate, a board to feed the model."""

from __future__ import annotations

import threading
from array import array
from typing import Any

from drivers.speech import Audio, Phrase, SpeechError


class GateEngine:
    """Answers with a short tone; `gate` holds it (a slow engine), `fail` makes it fail."""

    name = "gate"

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail = False

    def synthesize(self, phrase: Phrase, timeout: float) -> Audio:
        self.entered.set()
        if not self.gate.wait(timeout):
            raise SpeechError(f"{self.name}: no result within {timeout:.1f} s", "timeout")
        self.spoken.append(phrase.display)
        if self.fail:
            raise SpeechError("gate: broken")
        return Audio(22050, array("h", [6000, -6000] * 2205))


def call(number: str, counter: str = "3", seq: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "counter": counter,
        "counter_name": extra.pop("counter_name", f"{counter}号窗口"),
        "service": "YB-001",
        "recall": extra.pop("recall", False),
        "seq": seq,
        "at": "2026-11-27T09:30:00+08:00",
        **extra,
    }


def board(*calls: dict[str, Any], day: str = "2026-11-27", **extra: Any) -> dict[str, Any]:
    return {
        "hall_id": "410411-ZH01",
        "hall_name": "湛河区政务服务中心",
        "day": day,
        "seq": max((c["seq"] for c in calls), default=0),
        "notice": extra.pop("notice", "请保管好随身物品"),
        "calls": list(calls),
        "services": extra.pop(
            "services",
            [
                {
                    "code": "YB-001",
                    "name": "医保关系转移接续",
                    "category": "医保",
                    "prefix": "B",
                    "waiting": 4,
                    "est_wait_min": 22.4,
                    "open_counters": 1,
                },
                {
                    "code": "HY-001",
                    "name": "婚姻登记",
                    "category": "民政",
                    "prefix": "J",
                    "waiting": 0,
                    "est_wait_min": 0,
                    "open_counters": 1,
                },
                {
                    "code": "SB-001",
                    "name": "社会保障卡申领",
                    "category": "社保",
                    "prefix": "A",
                    "waiting": 2,
                    "est_wait_min": 10,
                    "open_counters": 0,
                },
            ],
        ),
        "counters": extra.pop(
            "counters",
            [
                {"counter": "1", "name": "1号窗口", "state": "closed", "current": None},
                {"counter": "3", "name": "3号窗口", "state": "open", "current": "B001"},
                {"counter": "5", "name": "5号窗口", "state": "paused", "current": None},
                {"counter": "9", "name": "婚姻登记处", "state": "paused", "current": None},
            ],
        ),
        **extra,
    }
