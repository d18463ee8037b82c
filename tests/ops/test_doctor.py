"""`hall doctor` on a healthy simulated hall, and with each fault injected."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from appliance.ops import checks
from appliance.ops.checks.base import Context, Options, Ran, Result
from appliance.ops.cli import doctor
from tests.ops.conftest import SimHall


def results(
    hall: SimHall | Path,
    only: Sequence[str] | None = None,
    **kw: Any,
) -> dict[str, Result]:
    config = hall.config if isinstance(hall, SimHall) else hall
    if isinstance(hall, SimHall):
        kw.setdefault("mosquitto_conf", hall.broker.conf_path)
    options = Options(**{k: v for k, v in kw.items() if hasattr(Options, k)})
    seams = {k: v for k, v in kw.items() if k in ("run", "which", "booted", "wall")}
    ctx = Context(config, options, **seams)
    ctx.load()
    out = checks.run_checks(ctx, only)
    return {r.check: r for r in out}


def mq(hall: SimHall) -> list[str]:
    """The simulated hub box's Mosquitto settings, for the doctor to read."""
    return ["--mosquitto-conf", str(hall.broker.conf_path)]


def fake_run(answers: dict[str, Ran]) -> Any:
    def run(argv: Sequence[str], timeout: float) -> Ran:
        for prefix, ran in answers.items():
            if " ".join(argv).startswith(prefix):
                return ran
        return Ran(127, "", f"{argv[0]}: not found")

    return run


def test_healthy_hall_can_open(sim_hall: SimHall) -> None:
    res = CliRunner().invoke(
        doctor, ["--config", str(sim_hall.config), "--json", "--scan-pads", *mq(sim_hall)]
    )
    report = json.loads(res.output)
    by = {r["check"]: r for r in report["results"]}
    assert res.exit_code == 0, [r for r in report["results"] if r["status"] == "fail"]
    assert report["can_open"] is True
    assert report["roles"] == ["hub", "kiosk", "display", "pads", "sync"]
    for name in ("config", "disk", "database", "hall-bus", "hub", "printer", "clock"):
        assert by[name]["status"] == "ok", by[name]
    assert by["pad bus bus1"]["status"] == "ok", by["pad bus bus1"]
    assert set(by["pad bus bus1"]["details"]["answering"]) == {"1", "2"}
    assert by["scanner scanner-1"]["status"] == "ok"
    assert by["city"]["status"] == "skip"  # no broker_url: "not configured"
    assert by["services"]["status"] == "skip"  # no systemd in the test box
    assert by["audio"]["status"] == "warn"  # player "file": nobody hears it
    assert by["hall-bus"]["details"]["presence"]["hub"]["status"] == "up"


def test_text_output_says_what_to_do(sim_hall: SimHall) -> None:
    sim_hall.printer.faults.paper_out = True
    res = CliRunner().invoke(doctor, ["--config", str(sim_hall.config), *mq(sim_hall)])
    assert res.exit_code == 1
    assert "[FAIL] printer" in res.output
    assert "→ put in a new paper roll" in res.output
    assert "The hall cannot open" in res.output


def test_missing_config(tmp_path: Path) -> None:
    res = CliRunner().invoke(doctor, ["--config", str(tmp_path / "nope.toml"), "--json"])
    assert res.exit_code == 1
    report = json.loads(res.output)
    by = {r["check"]: r for r in report["results"]}
    assert by["config"]["status"] == "fail" and "no such config file" in by["config"]["summary"]
    assert "hall provision" in by["config"]["fix"]
    assert by["database"]["status"] == "skip"


def test_invalid_config_names_the_key(sim_hall: SimHall) -> None:
    sim_hall.set_config("[bus]", "[bus]\nspeed = 3")
    r = results(sim_hall, ["config"])["config"]
    assert r.status == "fail" and "bus.speed" in r.summary


def test_corrupt_database(sim_hall: SimHall, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    sim_hall.set_config(f'database = "{tmp_path / "state/hall.db"}"', f'database = "{bad}"')
    r = results(sim_hall, ["database"])["database"]
    assert r.status == "fail" and "backups" in r.fix


def test_damaged_pages_are_found(sim_hall: SimHall, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(tmp_path / "state/hall.db")
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=DELETE")
    dst.close()
    data = bytearray(copy.read_bytes())
    page = 4096
    for i in range(page, len(data), page):  # scribble over the header of every later page
        data[i : i + 64] = b"\x07" * 64
    copy.write_bytes(bytes(data))
    sim_hall.set_config(f'database = "{tmp_path / "state/hall.db"}"', f'database = "{copy}"')
    r = results(sim_hall, ["database"])["database"]
    assert r.status == "fail", r


def test_missing_database(sim_hall: SimHall, tmp_path: Path) -> None:
    sim_hall.set_config(f'database = "{tmp_path / "state/hall.db"}"', 'database = "none.db"')
    r = results(sim_hall, ["database"])["database"]
    assert r.status == "fail" and "hall-hub" in r.fix


def test_broker_down(sim_hall: SimHall) -> None:
    from hall.bus.broker import free_port

    sim_hall.set_config(f"port = {sim_hall.broker.port}", f"port = {free_port()}")
    out = results(sim_hall, ["hall-bus"], timeout=0.5)
    assert out["hall-bus"].status == "fail" and "mosquitto" in out["hall-bus"].fix


def test_hub_not_running(tmp_path: Path) -> None:
    from hall.bus.broker import MosquittoBroker
    from tests.ops.conftest import write_config

    with MosquittoBroker(tmp_path / "mq") as broker:
        config = write_config(
            tmp_path / "etc",
            bus_port=broker.port,
            printer_port=9,
            scanner=tmp_path,
            pads_port="/dev/null",
            roles=["kiosk"],
            state=tmp_path / "state",
        )
        out = results(config, ["hall-bus"])
    assert out["hall-bus"].status == "ok"
    assert out["hub"].status == "fail" and "never seen" in out["hub"].summary


def test_disk_full_simulated_by_a_threshold(sim_hall: SimHall) -> None:
    r = results(sim_hall, ["disk"], min_free_mb=1e12, warn_free_mb=1e12)["disk"]
    assert r.status == "fail" and "journalctl --vacuum" in r.fix
    r = results(sim_hall, ["disk"], min_free_mb=1, warn_free_mb=1e12)["disk"]
    assert r.status == "warn"


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ("paper_out", "fail", "paper roll"),
        ("cover_open", "fail", "cover"),
        ("paper_near_end", "warn", "new paper roll ready"),
        ("mute_status", "fail", "does not answer status"),
    ],
)
def test_printer_faults(sim_hall: SimHall, fault: str, status: str, words: str) -> None:
    setattr(sim_hall.printer.faults, fault, True)
    r = results(sim_hall, ["printer"])["printer"]
    assert r.status == status and words in r.fix, r


def test_printer_offline(sim_hall: SimHall) -> None:
    from hall.bus.broker import free_port

    sim_hall.set_config(f"port = {sim_hall.printer_port}", f"port = {free_port()}")
    r = results(sim_hall, ["printer"])["printer"]
    assert r.status == "fail" and r.details["state"] in ("offline", "unknown")


def test_a_printer_slower_than_the_kiosks_deadline_is_ready(sim_hall: SimHall) -> None:
    """The status answers come after the kiosk's deadline (status_s 0.5 in this hall), as a
    well printer's may on a busy box: the doctor waits for them (STATUS_S) and says ready."""
    from appliance.ops.checks.printer import STATUS_S

    delay = 0.2  # per DLE EOT query: four of them, 0.8 s in all
    assert 0.5 < 4 * delay < STATUS_S / 2
    with socket.create_server(("127.0.0.1", 0)) as server:
        answering = threading.Thread(target=_answer_slowly, args=(server, delay), daemon=True)
        answering.start()
        sim_hall.set_config(f"port = {sim_hall.printer_port}", f"port = {server.getsockname()[1]}")
        r = results(sim_hall, ["printer"])["printer"]
    assert r.status == "ok" and r.details["state"] == "ok", r


def _answer_slowly(server: socket.socket, delay: float) -> None:
    """A printer that answers every DLE EOT request (3 bytes) with "all well", late."""
    conn, _ = server.accept()
    with conn:
        while len(conn.recv(3)) == 3:
            time.sleep(delay)
            conn.sendall(b"\x12")


def test_test_page_is_printed_on_request(sim_hall: SimHall) -> None:
    out = results(sim_hall, ["printer"], test_print=True)
    assert out["test-print"].status == "ok"
    assert b"TEST PAGE" in sim_hall.printer.received or sim_hall.printer.tickets()


def test_no_test_page_when_not_ready(sim_hall: SimHall) -> None:
    sim_hall.printer.faults.paper_out = True
    out = results(sim_hall, ["printer"], test_print=True)
    assert out["test-print"].status == "fail"


def test_usb_printer_not_plugged(sim_hall: SimHall) -> None:
    sim_hall.set_config(
        'kind = "network"', 'kind = "usb"\nusb_vendor = 0x0416\nusb_product = 0x5011'
    )
    r = results(sim_hall, ["printer"])["printer"]
    assert r.status == "fail" and "lsusb" in r.fix


def test_simulator_printer_is_a_warning(sim_hall: SimHall) -> None:
    sim_hall.set_config('kind = "network"', 'kind = "simulator"')
    r = results(sim_hall, ["printer"])["printer"]
    assert r.status == "warn" and "simulator" in r.summary


def test_pad_adapter_missing(sim_hall: SimHall) -> None:
    sim_hall.set_config(f'port = "{sim_hall.pads_port}"', 'port = "/dev/hall-pads-nope"')
    r = results(sim_hall, ["pads"])["pad bus bus1"]
    assert r.status == "fail" and "adapter" in r.summary


def test_pad_scan_finds_a_silent_device(sim_hall: SimHall) -> None:
    sim_hall.pads.set_silent(2)
    r = results(sim_hall, ["pads"], scan_pads=True)["pad bus bus1"]
    assert r.status == "warn" and "silent: 2 (counter 1)" in r.summary


def test_pad_scan_on_a_dead_line(sim_hall: SimHall) -> None:
    sim_hall.pads.set_silent(1)
    sim_hall.pads.set_silent(2)
    r = results(sim_hall, ["pads"], scan_pads=True)["pad bus bus1"]
    assert r.status == "fail" and "A/B" in r.fix


def test_scanner_missing(sim_hall: SimHall, tmp_path: Path) -> None:
    (tmp_path / "dev/input-scanner").unlink()
    r = results(sim_hall, ["scanner"])["scanner scanner-1"]
    assert r.status == "warn" and "input" in r.fix


def test_speech_engine_missing(sim_hall: SimHall) -> None:
    out = results(sim_hall, ["speech"], which=lambda name: None)
    assert out["speech display"].status == "fail" and "espeak-ng" in out["speech display"].fix


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_test_sentence_is_spoken(sim_hall: SimHall) -> None:
    out = results(sim_hall, ["speech"], test_speech=True)
    assert out["test-sentence"].status == "ok", out["test-sentence"]
    wavs = list((sim_hall.config.parent / "announcements").glob("*.wav"))
    assert wavs and wavs[0].stat().st_size > 1000


def test_no_sound_card(sim_hall: SimHall) -> None:
    sim_hall.set_config('player = "file"', 'player = "aplay"')
    run = fake_run({"aplay -l": Ran(1, "", "aplay: device_list:274: no soundcards found...")})
    r = results(sim_hall, ["audio"], run=run, which=lambda n: f"/usr/bin/{n}")["audio"]
    if (
        Path("/proc/asound/cards").exists()
        and "no soundcards" not in Path("/proc/asound/cards").read_text()
    ):
        pytest.skip("this box has a sound card")
    assert r.status == "fail" and "aplay -l" in r.fix
    run = fake_run({"aplay -l": Ran(0, "card 0: PCH [HDA Intel PCH], device 0: ALC\n")})
    r = results(sim_hall, ["audio"], run=run, which=lambda n: f"/usr/bin/{n}")["audio"]
    assert r.status == "ok"


def test_clock_not_set(sim_hall: SimHall) -> None:
    out = results(sim_hall, ["clock"], wall=lambda: 86400.0)
    assert out["clock"].status == "fail" and "1970" in out["clock"].summary


def test_clock_behind_the_event_log(sim_hall: SimHall) -> None:
    import time

    out = results(sim_hall, ["clock"], wall=lambda: time.time() - 3600 * 5)
    # the hub wrote events at setup (catalog, counters) with the real time
    assert out["clock"].status == "warn" and "behind" in out["clock"].summary


def test_ntp(sim_hall: SimHall) -> None:
    synced = fake_run({"timedatectl": Ran(0, "NTP=yes\nNTPSynchronized=yes\n")})
    out = results(sim_hall, ["clock"], run=synced, booted=lambda: True)
    assert out["ntp"].status == "ok"
    off = fake_run({"timedatectl": Ran(0, "NTP=no\nNTPSynchronized=no\n")})
    out = results(sim_hall, ["clock"], run=off, booted=lambda: True)
    assert out["ntp"].status == "warn" and "set-ntp true" in out["ntp"].fix
    out = results(sim_hall, ["clock"], booted=lambda: False)
    assert out["ntp"].status == "skip"


def test_services(sim_hall: SimHall) -> None:
    run = fake_run(
        {
            "systemctl is-active": Ran(3, "active\nactive\nactive\nfailed\nactive\nactivating\n"),
            "systemctl is-enabled": Ran(
                0, "enabled\nenabled\nenabled\nenabled\ndisabled\nenabled\n"
            ),
        }
    )
    out = results(sim_hall, ["services"], run=run, booted=lambda: True)
    assert out["service mosquitto.service"].status == "ok"
    assert out["service hall-hub.service"].status == "ok"
    assert out["service hall-display.service"].status == "fail"
    assert "journalctl -u hall-display.service" in out["service hall-display.service"].fix
    assert out["service hall-pads.service"].status == "warn"  # running, not at boot
    assert out["service hall-sync.service"].status == "warn"  # activating
    out = results(sim_hall, ["services"], booted=lambda: False)
    assert out["services"].status == "skip" and "systemd is not running" in out["services"].summary


def test_roles_limit_the_checks(sim_hall: SimHall) -> None:
    out = results(sim_hall, roles=("display",), which=lambda n: f"/usr/bin/{n}")
    assert out["printer"].status == "skip" and "not a role" in out["printer"].summary
    assert out["database"].status == "skip"
    assert "speech display" in out


def test_reported_devices(sim_hall: SimHall) -> None:
    from appliance import config as hall_config
    from hall.bus.mqtt import hall_bus
    from hall.hubapi.client import HallClient

    cfg = hall_config.load(sim_hall.config)
    reports = [
        ("kiosk-1", {"device": "kiosk-1/printer", "kind": "printer", "ok": False}),
        ("pads-1", {"device": "pads-1/bus1/3", "kind": "pad", "ok": True}),
    ]
    for device, args in reports:  # each device reports its own
        bus = hall_bus(cfg, device)
        try:
            assert bus.wait_connected(10)
            state = "online" if args["ok"] else "paper_out"
            HallClient(bus, timeout=10).execute("report_device", {**args, "state": state})
        finally:
            bus.close()
    # The hub writes the devices' rows with its next tick (about a second).
    deadline = time.monotonic() + 10
    while True:
        r = results(sim_hall, ["reported-devices"])["reported-devices"]
        if r.status == "warn" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status == "warn" and "kiosk-1/printer paper_out" in r.summary
    assert {d["device"] for d in r.details["devices"]} == {"kiosk-1/printer", "pads-1/bus1/3"}


def test_city_not_configured_or_off(sim_hall: SimHall) -> None:
    assert results(sim_hall, ["city"])["city"].status == "skip"
    sim_hall.set_config("[sync]", "[sync]\nenabled = false")
    r = results(sim_hall, ["city"])["city"]
    assert r.status == "skip" and "off" in r.summary


def test_a_crashing_check_is_a_failure(sim_hall: SimHall, monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance.ops.checks import base

    def broken(ctx: Context) -> list[Result]:
        raise RuntimeError("oops")

    monkeypatch.setattr(base, "REGISTRY", [base.Check("broken", broken, (), False)])
    out = results(sim_hall)
    assert out["broken"].status == "fail" and "oops" in out["broken"].summary


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_test_sentence_on_a_kiosk_box(sim_hall: SimHall) -> None:
    sim_hall.set_config(
        "[display.speech]",
        '[kiosk.speech]\nplayer = "file"\nfolder = "kiosk-wavs"\n\n[display.speech]',
    )
    out = results(sim_hall, ["speech"], roles=("kiosk",), test_speech=True)
    assert out["test-sentence"].status == "ok", out["test-sentence"]
    assert list((sim_hall.config.parent / "kiosk-wavs").glob("*.wav"))


def test_only_and_roles_options_are_checked(tmp_path: Path) -> None:
    res = CliRunner().invoke(doctor, ["--config", str(tmp_path / "x.toml"), "--only", "nope"])
    assert res.exit_code == 2 and "unknown check" in res.output
    res = CliRunner().invoke(doctor, ["--config", str(tmp_path / "x.toml"), "--roles", "hub,tv"])
    assert res.exit_code == 2 and "unknown role" in res.output


def test_database_owned_by_another_user_than_the_service(sim_hall: SimHall) -> None:
    """A database put back by root (or touched by a root shell's sqlite3) stops the hub."""
    import os
    import pwd

    me = pwd.getpwuid(os.geteuid()).pw_name
    ctx = Context(sim_hall.config, Options())
    ctx.load()
    ctx.service_user = me  # the files are the service user's: fine
    assert {r.check: r for r in checks.run_checks(ctx, ["database"])}["database"].status == "ok"
    ctx.service_user = "nobody"
    out = {r.check: r for r in checks.run_checks(ctx, ["database"])}["database"]
    assert out.status == "fail" and "not owned by nobody" in out.summary
    assert f"({me})" in out.summary and "chown nobody:hall-db" in out.fix
    ctx.service_user = "no-such-user-here"  # a developer's machine: nothing to compare
    assert {r.check: r for r in checks.run_checks(ctx, ["database"])}["database"].status == "ok"
