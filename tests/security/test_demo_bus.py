"""`hall demo --bus mqtt` runs on the hall's Mosquitto as a hub box runs it: authentication
on, the ACL, client ids pinned; nobody gets in without a password."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from appliance.sim.demo import run_demo


def test_the_demo_over_mqtt_runs_with_authentication_on(tmp_path: Path) -> None:
    lines: list[str] = []
    s = run_demo(
        tmp_path, arrivals=120, minutes=30, day=date(2026, 11, 27), bus="mqtt", echo=lines.append
    )
    assert s["bus"] == "mqtt" and s["bus_secure"] is True and s["tickets_issued"] > 5
    assert any("a password per role" in line for line in lines)
    conf = (tmp_path / "run/mosquitto/mosquitto.conf").read_text(encoding="utf-8")
    assert "allow_anonymous false" in conf and "use_username_as_clientid true" in conf
    log = (tmp_path / "run/mosquitto/mosquitto.log").read_text(encoding="utf-8")
    users = set(re.findall(r"New client connected from \S+ as (\S+) \(.*u'([^']+)'\)", log))
    assert users and all(cid == user for cid, user in users)  # each logged in as itself
