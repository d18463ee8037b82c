"""Issuing is printing: against a real hub (in process) and the simulated printer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.local import LocalHall
from drivers.printer import SimulatedPrinter
from drivers.printer.decode import QrCode, texts
from hall.core.timekeeping import FixedClock
from hall.hubapi.client import HallClient
from kiosk.journal import Journal
from kiosk.outcomes import Issued, PrinterDown, PrintFailed, Refusal, Unreachable
from tests.kiosk.conftest import (
    HALL_NAME,
    MakeTicketing,
    at,
    device_states,
    event_types,
    ticket_states,
)

pytestmark = pytest.mark.timeout(60)


def test_issue_prints_then_confirms(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    ops = make_ticketing()
    outcome = ops.issue("SB-001", "elderly")
    assert isinstance(outcome, Issued)
    tk = outcome.ticket
    assert (tk.number, tk.service_name, tk.waiting_ahead) == ("A001", "社会保障卡申领", 0)
    assert ticket_states(hall) == {"A001": "waiting"}
    (printed,) = sim.tickets()
    lines = texts(printed)
    assert HALL_NAME in "".join(lines)
    assert "社会保障卡申领" in lines and "A001" in lines and "【老年人优先】" in lines
    assert "请留意叫号，过号请咨询工作人员。本票当日有效。" in "".join(lines)
    assert "取号时间：2026-11-27 09:30" in lines
    (qr,) = [e for e in printed if isinstance(e, QrCode)]
    assert qr.payload == f"https://hall.example.cn/q/410411-ZH01/{tk.ticket_id}"
    assert ops.journal.inflight is None
    types = event_types(hall)
    assert types[-2:] == ["ticket.issued", "ticket.printed"]


def test_no_qr_code_without_the_citys_ticket_url(
    make_ticketing: MakeTicketing, sim: SimulatedPrinter
) -> None:
    """The QR code's address comes from the city (kiosk.ticket_url, contract v1.1); a hall
    without one prints none rather than an address it made up."""
    outcome = make_ticketing(ticket_url="").issue("SB-001")
    assert isinstance(outcome, Issued) and outcome.ticket.qr_url == ""
    (printed,) = sim.tickets()
    assert "A001" in texts(printed) and not any(isinstance(e, QrCode) for e in printed)


def test_printer_known_down_issues_nothing(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    sim.faults.paper_out = True
    ops = make_ticketing()
    outcome = ops.issue("SB-001")
    assert outcome == PrinterDown("paper_out")
    assert ticket_states(hall) == {}
    assert device_states(hall) == {"kiosk-1/printer": (0, "paper_out")}
    sim.faults.paper_out = False
    assert isinstance(ops.issue("SB-001"), Issued)
    assert device_states(hall) == {"kiosk-1/printer": (1, "ok")}


def test_paper_out_during_printing_voids_and_reports(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    sim.faults.paper_out_after = 150
    ops = make_ticketing()
    outcome = ops.issue("SB-001")
    assert isinstance(outcome, PrintFailed) and outcome.voided
    assert outcome.reason == "paper_out" and outcome.ticket.number == "A001"
    assert ticket_states(hall) == {"A001": "cancelled"}
    assert sim.tickets() == []
    assert device_states(hall)["kiosk-1/printer"] == (0, "paper_out")
    assert ops.journal.inflight is None
    assert "device.fault" in event_types(hall)


def test_cover_open_and_silent_printer(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    ops = make_ticketing()
    sim.faults.cover_open = True
    assert ops.issue("SB-001") == PrinterDown("cover_open")
    sim.faults.cover_open = False
    sim.faults.mute_status = True
    assert ops.issue("SB-001") == PrinterDown("unknown")
    assert ticket_states(hall) == {}


def test_stall_mid_ticket_voids(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    sim.faults.stall_after = 300
    outcome = make_ticketing().issue("SB-001")
    assert isinstance(outcome, PrintFailed) and outcome.reason == "timeout" and outcome.voided
    assert ticket_states(hall) == {"A001": "cancelled"}


def test_reprint_mode_keeps_the_ticket_for_the_technician(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    sim.faults.paper_out_after = 150
    ops = make_ticketing(print_failure="reprint")
    outcome = ops.issue("YB-001")
    assert isinstance(outcome, PrintFailed) and not outcome.voided
    assert ticket_states(hall) == {"B001": "printing"}
    (kept,) = ops.journal.reprints
    sim.faults.paper_out = False
    sim.faults.paper_out_after = None
    sim.clear()
    again = ops.reprint(kept["ticket_id"])
    assert isinstance(again, Issued) and again.ticket.number == "B001"
    assert ticket_states(hall) == {"B001": "waiting"}
    assert len(sim.tickets()) == 1 and ops.journal.reprints == []


def test_refusals_come_from_the_hub(
    make_ticketing: MakeTicketing, hall: LocalHall, clock: FixedClock
) -> None:
    ops = make_ticketing()
    clock.t = at("20:00")
    outcome = ops.issue("SB-001")
    assert isinstance(outcome, Refusal) and outcome.code == "outside_hours"
    assert "09:00-12:00" in outcome.message
    clock.t = at("09:30")
    assert isinstance(ops.issue("NOPE-1"), Refusal)
    assert ops.journal.inflight is None


def test_hub_unreachable_then_recovered(
    make_ticketing: MakeTicketing, hall: LocalHall, sim: SimulatedPrinter
) -> None:
    ops = make_ticketing()
    hall.broker.go_down()
    try:
        assert ops.issue("SB-001") == Unreachable()
        assert ops.journal.inflight is not None  # the hub may have acted: remember the key
        assert ops.issue("SB-001") == Unreachable()  # nothing new before recovery
    finally:
        hall.broker.come_up()
    assert ops.recover()
    # The kiosk cannot know whether the hub acted, so recovery asks again with the same key
    # (which acts at most once) and voids what it gets: a number is used up, nothing printed.
    assert ticket_states(hall) == {"A001": "cancelled"}
    assert isinstance(ops.issue("SB-001"), Issued)
    assert ticket_states(hall) == {"A001": "cancelled", "A002": "waiting"}
    assert len(sim.tickets()) == 1


def test_confirm_timeout_keeps_printed_phase(
    make_ticketing: MakeTicketing, hall: LocalHall
) -> None:
    """The print worked but the hub went away before confirm: recovery confirms later."""
    ops = make_ticketing()
    original = ops.printer.print_ticket

    def print_then_lose_hub(ticket, on_sent=None):  # type: ignore[no-untyped-def]
        result = original(ticket, on_sent)
        hall.broker.go_down()
        return result

    ops.printer.print_ticket = print_then_lose_hub  # type: ignore[method-assign]
    outcome = ops.issue("SB-001")
    assert isinstance(outcome, Issued)  # it is in the citizen's hand
    assert ops.journal.inflight is not None and ops.journal.inflight["phase"] == "printed"
    hall.broker.come_up()
    ops.printer.print_ticket = original  # type: ignore[method-assign]
    assert ops.recover()
    assert ticket_states(hall) == {"A001": "waiting"}


# --- killed mid-way: a new kiosk process finds the journal -----------------------------------


def _journal_after_kill(tmp_path: Path, entry: dict[str, object]) -> Path:
    path = tmp_path / "killed" / "journal.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"inflight": entry, "reprints": []}), encoding="utf-8")
    return path


def _issue_only(hall: LocalHall, key: str) -> dict[str, object]:
    """What kiosk-1 had sent before it was killed (keys are the device's own): on its bus."""
    bus = next(b for b in hall._buses if b.client_id == "kiosk-1")
    client = HallClient(bus)
    args = {"service": "SB-001", "confirm_print": True, "kiosk": "kiosk-1"}
    return client.execute("issue", args, key=key)


@pytest.mark.parametrize(
    ("phase", "printer_ok", "expected"),
    [
        ("issuing", True, "cancelled"),
        ("printing", True, "cancelled"),
        ("sent", True, "cancelled"),
        ("sent", False, "cancelled"),
        ("printed", True, "waiting"),
        ("voiding", True, "cancelled"),
    ],
)
def test_restart_after_kill_never_prints_twice(
    make_ticketing: MakeTicketing,
    hall: LocalHall,
    sim: SimulatedPrinter,
    tmp_path: Path,
    phase: str,
    printer_ok: bool,
    expected: str,
) -> None:
    key = "kiosk-1/dead/1"
    result = _issue_only(hall, key)
    entry: dict[str, object] = {
        "phase": phase,
        "key": key,
        "command": "issue",
        "args": {"service": "SB-001", "confirm_print": True, "kiosk": "kiosk-1"},
    }
    if phase != "issuing":
        entry.update(ticket_id=result["ticket_id"], number=result["number"])
    sim.faults.paper_out = not printer_ok
    ops = make_ticketing(journal=_journal_after_kill(tmp_path, entry))
    assert ops.recover()
    assert ticket_states(hall) == {"A001": expected}
    assert sim.tickets() == []  # recovery never prints
    assert ops.journal.inflight is None
    if expected == "cancelled" and phase in ("printing", "sent"):
        assert device_states(hall)["kiosk-1/printer"][0] == 0
    sim.faults.paper_out = False
    assert isinstance(ops.issue("SB-001"), Issued)  # and the kiosk carries on


def test_restart_in_reprint_mode_keeps_an_interrupted_ticket(
    make_ticketing: MakeTicketing, hall: LocalHall, tmp_path: Path
) -> None:
    result = _issue_only(hall, "kiosk-1/dead/2")
    fields = {
        "hall_name": HALL_NAME,
        "service_name": "社会保障卡申领",
        "number": "A001",
        "issued_at": "2026-11-27 09:30",
        "waiting_ahead": 0,
        "est_wait_min": 0,
        "qr_payload": "https://x/y",
        "notice": "",
        "priority_label": None,
        "appointment_note": None,
    }
    entry = {
        "phase": "printing",
        "key": "kiosk-1/dead/2",
        "command": "issue",
        "args": {},
        "ticket_id": result["ticket_id"],
        "number": "A001",
        "print": fields,
    }
    ops = make_ticketing(journal=_journal_after_kill(tmp_path, entry), print_failure="reprint")
    assert ops.recover()
    assert ticket_states(hall) == {"A001": "printing"}
    assert [r["number"] for r in ops.journal.reprints] == ["A001"]


def test_corrupt_journal_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text("{not json", encoding="utf-8")
    journal = Journal(path)
    assert journal.inflight is None and (tmp_path / "journal.corrupt").exists()
    journal.begin("k", "issue", {})
    assert Journal(path).inflight == {
        "phase": "issuing",
        "key": "k",
        "command": "issue",
        "args": {},
    }
    with pytest.raises(RuntimeError):
        journal.begin("k2", "issue", {})
