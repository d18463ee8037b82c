"""The network transport against the simulator's TCP listener: faults never hang the caller."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from drivers.printer import (
    Deadlines,
    FailureReason,
    Printer,
    PrinterConfig,
    PrinterError,
    PrinterState,
    SimulatedPrinter,
    SimulatorServer,
    TicketPrint,
    create_printer,
)
from drivers.printer.decode import TextLine
from drivers.printer.transport import NetworkTransport

pytestmark = pytest.mark.timeout(10)

FAST = Deadlines(connect=1.0, write=1.0, status=0.3)


@pytest.fixture
def printer(server: SimulatorServer) -> Iterator[Printer]:
    p = create_printer(PrinterConfig(kind="network", port=server.port, deadlines=FAST))
    yield p
    p.close()


def test_ok(printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint) -> None:
    result = printer.print_ticket(ticket)
    assert result.ok and result.reason is None and result.sent
    assert result.status_before.state is PrinterState.OK
    (printed,) = sim.tickets()
    assert TextLine("A012", "center", True, 4, 4) in printed
    assert printer.status().state is PrinterState.OK


def test_paper_out_before_printing(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    sim.faults.paper_out = True
    result = printer.print_ticket(ticket)
    assert not result.ok and result.reason is FailureReason.PAPER_OUT and not result.sent
    assert sim.tickets() == []
    assert b"\x1b@" not in sim.received  # nothing but status requests went out


def test_paper_out_during_printing(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    sim.faults.paper_out_after = 200
    result = printer.print_ticket(ticket)
    assert not result.ok and result.reason is FailureReason.PAPER_OUT
    assert result.sent and result.status_before.state is PrinterState.OK
    assert sim.tickets() == []  # the cut never printed: no whole ticket in anyone's hand


def test_cover_open(printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint) -> None:
    sim.faults.cover_open = True
    result = printer.print_ticket(ticket)
    assert (result.ok, result.reason, result.sent) == (False, FailureReason.COVER_OPEN, False)


def test_paper_near_end_still_prints(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    sim.faults.paper_near_end = True
    result = printer.print_ticket(ticket)
    assert result.ok and result.status_after.state is PrinterState.PAPER_NEAR_END


def test_printer_that_never_answers_status_is_unknown(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    sim.faults.mute_status = True
    start = time.monotonic()
    status = printer.status()
    assert status.state is PrinterState.UNKNOWN  # not "paper out"
    result = printer.print_ticket(ticket)
    assert time.monotonic() - start < 4 * FAST.status
    assert (result.ok, result.reason, result.sent) == (False, FailureReason.UNKNOWN, False)
    assert sim.tickets() == []


def test_printer_that_stalls_mid_ticket(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    assert printer.print_ticket(ticket).ok
    sim.faults.stall_after = len(sim.received) + 300
    start = time.monotonic()
    result = printer.print_ticket(ticket)
    assert time.monotonic() - start < FAST.write + 2 * FAST.status
    assert not result.ok and result.reason is FailureReason.TIMEOUT
    assert "stopped answering" in result.detail
    assert len(sim.tickets()) == 1


def test_write_deadline_on_a_peer_that_reads_nothing() -> None:
    """A TCP printer that accepts and never reads: the write stops at its deadline."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
    thread.start()
    link = NetworkTransport("127.0.0.1", listener.getsockname()[1])
    try:
        link.open(1.0)
        start = time.monotonic()
        with pytest.raises(PrinterError, match="stalled") as info:
            link.write(b"\x00" * (64 * 1024 * 1024), 0.5)
        assert info.value.reason is FailureReason.TIMEOUT
        assert time.monotonic() - start < 5.0  # its 0.5 s timeout, not the whole 64 MiB
    finally:
        link.close()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_nobody_listening_is_offline(ticket: TicketPrint) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        p = create_printer(PrinterConfig(kind="network", port=port, deadlines=FAST))
        assert p.status().state is PrinterState.OFFLINE
        result = p.print_ticket(ticket)
    assert (result.ok, result.reason, result.sent) == (False, FailureReason.OFFLINE, False)


def test_printer_recovers_after_the_fault_is_cleared(
    printer: Printer, sim: SimulatedPrinter, ticket: TicketPrint
) -> None:
    sim.faults.mute_status = True
    assert not printer.print_ticket(ticket).ok
    sim.faults.mute_status = False
    assert printer.print_ticket(ticket).ok
    assert len(sim.tickets()) == 1
