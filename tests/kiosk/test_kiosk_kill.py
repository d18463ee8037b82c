"""A kiosk process killed (SIGKILL) in the middle of printing: the next start never prints
the ticket again and leaves no phantom ticket. Real processes, real Mosquitto, TCP printer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.local import LocalHall
from drivers.printer import (
    PrinterConfig,
    SimulatedPrinter,
    SimulatorServer,
    create_printer,
)
from drivers.printer.decode import Cut
from hall.core.timekeeping import FixedClock
from hall.devices import Device
from hall.hubapi.client import HallClient
from kiosk.journal import Journal
from kiosk.outcomes import Issued
from kiosk.ticketing import Ticketing
from tests.kiosk.conftest import FAST, db_rows, options, ticket_states

pytestmark = pytest.mark.timeout(90)


class MuteAfterCut(SimulatedPrinter):
    """Takes the whole job, then stops answering status queries (as if it hung), until
    told to recover."""

    hung = False

    def _take(self, data: bytes, replies: bytearray) -> None:
        before = len(replies)
        super()._take(data, replies)
        if self.hung:
            del replies[before:]
        if any(isinstance(e, Cut) for e in self._printed):  # (the lock is held here)
            self.hung = True


@pytest.fixture
def mqtt_hall(tmp_path: Path, clock: FixedClock) -> Iterator[LocalHall]:
    # an open broker: the child process connects without a password
    with LocalHall(tmp_path / "hub", transport="mqtt", clock=clock, secure=False) as h:
        h.devices.add(Device("kiosk-1", "kiosk"))  # the kiosk in the child process
        h.settle()
        yield h


def phase(journal: Path) -> str | None:
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))["inflight"]
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return entry["phase"] if entry else None


def run_and_kill(journal: Path, hall: LocalHall, port: int, until: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.kiosk.kill_child", str(journal), str(hall.port), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while phase(journal) != until:
            assert child.poll() is None, "the child ended before it was killed"
            assert time.monotonic() < deadline, f"journal never reached {until}"
            time.sleep(0.02)
        time.sleep(0.2)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(10)
    assert child.returncode == -signal.SIGKILL


def restarted(journal: Path, hall: LocalHall, port: int) -> Ticketing:
    bus = hall.bus("kiosk-1", "kiosk")  # the same kiosk, restarted
    printer = create_printer(PrinterConfig(kind="network", port=port, deadlines=FAST))
    return Ticketing(HallClient(bus, timeout=3.0), printer, Journal(journal), options())


def test_killed_while_the_printer_hangs_mid_ticket(mqtt_hall: LocalHall, tmp_path: Path) -> None:
    sim = SimulatedPrinter()
    sim.faults.stall_after = 300  # the printer takes 300 bytes of the job, then hangs
    journal = tmp_path / "kiosk" / "journal.json"
    with SimulatorServer(sim, port=0) as server:
        # The whole job fits in the socket buffers: the kiosk believes it "sent" it and
        # waits for the printer's answer when it is killed.
        run_and_kill(journal, mqtt_hall, server.port, until="sent")
        assert sim.tickets() == [] and len(sim.received) == 300
        assert ticket_states(mqtt_hall) == {"A001": "printing"}
        sim.faults.stall_after = None  # the technician clears the jam; the kiosk restarts
        sim.clear()
        ops = restarted(journal, mqtt_hall, server.port)
        assert ops.recover()
        assert ticket_states(mqtt_hall) == {"A001": "cancelled"}
        assert sim.received.count(b"\x1b@") == 0  # the half ticket was not printed again
        assert isinstance(ops.issue("SB-001"), Issued)
        assert ticket_states(mqtt_hall) == {"A001": "cancelled", "A002": "waiting"}
        assert len(sim.tickets()) == 1


def test_killed_after_the_last_byte(mqtt_hall: LocalHall, tmp_path: Path) -> None:
    """The printer printed the whole ticket and then hung before answering: the kiosk cannot
    tell this from the case above, so it voids, never prints again, and reports the number."""
    sim = MuteAfterCut()
    journal = tmp_path / "kiosk" / "journal.json"
    with SimulatorServer(sim, port=0) as server:
        run_and_kill(journal, mqtt_hall, server.port, until="sent")
        assert len(sim.tickets()) == 1
        sim.hung = False  # back after the restart
        ops = restarted(journal, mqtt_hall, server.port)
        assert ops.recover()
        assert ticket_states(mqtt_hall) == {"A001": "cancelled"}
        assert len(sim.tickets()) == 1  # not printed twice
        (detail,) = db_rows(
            mqtt_hall, "SELECT detail FROM devices WHERE device = 'kiosk-1/printer'"
        )
        assert detail == ("ticket A001",)


def test_killed_after_the_printer_answered(mqtt_hall: LocalHall, tmp_path: Path) -> None:
    journal = tmp_path / "kiosk" / "journal.json"
    sim = SimulatedPrinter()
    with SimulatorServer(sim, port=0) as server:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.kiosk.kill_child",
                str(journal),
                str(mqtt_hall.port),
                str(server.port),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert "Issued" in child.stdout.read()  # it ran to the end: confirmed
        child.wait(10)
        assert ticket_states(mqtt_hall) == {"A001": "waiting"}
        assert phase(journal) is None and len(sim.tickets()) == 1
