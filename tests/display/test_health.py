"""Speech and audio health reach the hub once per change, also after the hub was away."""

from __future__ import annotations

import dataclasses
import time

from appliance.local import LocalHall
from display.health import DeviceReporter
from drivers.speech import Health
from hall.hubapi.client import HallClient


def devices(hall: LocalHall) -> dict[str, dict[str, object]]:
    return {k: dataclasses.asdict(v) for k, v in hall.store.state.devices.items()}


def test_fault_then_recovery_reported_to_the_hub(hall: LocalHall) -> None:
    bus = hall.bus("display-1", "display")
    reporter = DeviceReporter(HallClient(bus), "display-1")
    reporter.report(Health("speech", False, "timeout", "espeak-ng: no result within 8.0 s; killed"))
    assert reporter.wait_sent(5)
    got = devices(hall)["display-1/speech"]
    assert (got["kind"], got["ok"], got["state"]) == ("speech", False, "timeout")
    reporter.report(Health("speech", True, "ok"))
    assert reporter.wait_sent(5)
    assert devices(hall)["display-1/speech"]["ok"] is True
    faults = [e for e in hall.events() if e["type"] in ("device.fault", "device.recovered")]
    assert [e["type"] for e in faults] == ["device.fault", "device.recovered"]
    reporter.close()


def test_while_the_hub_is_away_the_newest_state_wins(hall: LocalHall) -> None:
    bus = hall.bus("display-1", "display")
    reporter = DeviceReporter(HallClient(bus, timeout=0.3), "display-1", retry_s=0.1)
    hall.broker.go_down()
    reporter.report(Health("audio", False, "failed", "aplay exit code 1"))
    time.sleep(0.5)
    reporter.report(Health("audio", False, "not_installed", "cannot start player 'aplay'"))
    hall.broker.come_up()
    assert reporter.wait_sent(10)
    # an attempt in flight when the hub came back may land first; the newest lands last
    assert reporter.sent[-1]["state"] == "not_installed"
    assert len(reporter.sent) <= 2
    assert devices(hall)["display-1/audio"]["state"] == "not_installed"
    reporter.close()
