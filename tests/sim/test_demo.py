"""`hall demo --headless`: a simulated day over the hall bus, written to a folder."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.sim.demo import run_demo


def test_a_morning_over_the_in_process_bus(tmp_path: Path) -> None:
    s = run_demo(tmp_path, arrivals=600, minutes=150, day=date(2026, 11, 27), echo=lambda _: None)
    assert s["bus"] == "inproc"
    assert s["tickets_issued"] > 50
    # (the kiosk and the pads' script issue tickets of their own at 10:00)
    assert s["tickets_called"] <= s["tickets_issued"] + 30
    assert s["tickets_finished"] + s["tickets_skipped"] <= s["tickets_called"]
    assert s["hub"]["commands"] >= s["tickets_issued"]
    assert "invalid_request" not in s["hub"]
    served = s["per_service"]
    assert served and sum(row["served"] for row in served.values()) <= s["tickets_called"]
    for row in served.values():  # a service appears once one of its tickets was called
        assert row["served"] > 0 and row["mean_wait_min"] >= 0 and row["p90_wait_min"] >= 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["tickets_issued"] == s["tickets_issued"]
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    issued = [e for e in events if e["type"] == "ticket.issued"]
    assert s["tickets_issued"] < len(issued) <= s["tickets_issued"] + 30
    for f in s["files"]:
        assert (tmp_path / f).exists(), f
    # the day's report (read from the tables) counts what the log holds, to the last event
    (csv_path,) = (tmp_path / "report").glob("day-*-services.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    finished = [e for e in events if e["type"] == "ticket.finished"]
    assert sum(int(r["issued"]) for r in rows) == len(issued)
    assert sum(int(r["finished"]) for r in rows) == len(finished)
    # the real roles ran beside the simulation: kiosk screens and tickets, display, voices
    assert s["roles"]["kiosk"]["screens"] >= 10 and s["roles"]["kiosk"]["tickets"] >= 2
    assert (tmp_path / "screens/kiosk-home.png").exists()
    pads = s["roles"]["pads"]
    assert pads["acted"] >= 10 and pads["refused"] == 0 and pads["ratings"] >= 1
    assert (tmp_path / "pads/pad-01-counter-91.txt").read_text(encoding="utf-8").count("已呼叫")
    # after their scripted session the pads' staff work on on the simulated clock: their
    # ticket in hand finished after 10:00, more called since (not held until the close)
    for counter in ("91", "92", "93"):
        at = [e["at"][11:19] for e in events if e["data"].get("counter") == counter]
        kinds = [e["type"] for e in events if e["data"].get("counter") == counter]
        later = [k for t, k in zip(at, kinds, strict=True) if "10:00:01" < t < "11:20:01"]
        assert "ticket.finished" in later and "ticket.called" in later, counter
    assert (tmp_path / "screens/display-landscape-1.png").exists()
    texts = sorted((tmp_path / "announcements").glob("*.txt"))
    assert texts and all((t.with_suffix(".wav")).stat().st_size > 10_000 for t in texts)
    assert texts[0].read_text(encoding="utf-8").startswith("请 ")


def test_the_same_seed_gives_the_same_day(tmp_path: Path) -> None:
    a = run_demo(tmp_path / "a", arrivals=300, minutes=60, day=date(2026, 11, 27), echo=print)
    b = run_demo(tmp_path / "b", arrivals=300, minutes=60, day=date(2026, 11, 27), echo=print)
    for key in ("tickets_issued", "tickets_called", "tickets_finished", "per_service"):
        assert a[key] == b[key]


def test_over_a_private_mosquitto(tmp_path: Path) -> None:
    s = run_demo(tmp_path, arrivals=400, minutes=60, day=date(2026, 11, 27), bus="mqtt", echo=print)
    assert s["bus"] == "mqtt" and s["tickets_issued"] > 10


@pytest.mark.parametrize("args", [["--minutes", "0"], ["--bus", "carrier-pigeon"]])
def test_bad_demo_options_are_refused(tmp_path: Path, args: list[str]) -> None:
    r = CliRunner().invoke(cli, ["demo", "--headless", "--out", str(tmp_path), *args])
    assert r.exit_code == 2
    assert "Invalid value" in r.output


def test_with_the_city(tmp_path: Path) -> None:
    """--city: booked in the city, checked in at the hall, every event acked by the city."""
    s = run_demo(tmp_path, arrivals=200, minutes=100, day=date(2026, 11, 27), city=True, echo=print)
    city = s["roles"]["city"]
    assert city["appointments_received"] == city["appointments_booked"] == 30
    assert city["all_events_acked"] and city["events_rejected"] == 0
    assert city["checked_in_at_kiosk"] >= 1
