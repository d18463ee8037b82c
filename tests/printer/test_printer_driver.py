"""Choosing the transport by name, the in-process simulator, serial and USB construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.printer import (
    Deadlines,
    FailureReason,
    Faults,
    PrinterConfig,
    PrinterConfigError,
    PrinterState,
    SimulatedPrinter,
    TicketPrint,
    create_printer,
)
from drivers.printer.simulator import SimulatorTransport
from drivers.printer.transport import NetworkTransport, SerialTransport, UsbTransport

FAST = Deadlines(connect=1.0, write=0.3, status=0.3)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("network", NetworkTransport),
        ("serial", SerialTransport),
        ("usb", UsbTransport),
        ("simulator", SimulatorTransport),
    ],
)
def test_kind_chooses_transport(kind: str, cls: type) -> None:
    assert isinstance(create_printer(PrinterConfig(kind=kind)).transport, cls)


def test_unknown_kind_lists_allowed_names() -> None:
    with pytest.raises(PrinterConfigError, match="usb, serial, network, simulator"):
        create_printer(PrinterConfig(kind="bluetooth"))


def test_unknown_profile_lists_known_profiles() -> None:
    with pytest.raises(PrinterConfigError, match="escpos-80mm-cn"):
        create_printer(PrinterConfig(profile="epson-xyz"))


def test_in_process_simulator_prints_and_renders(ticket: TicketPrint, tmp_path: Path) -> None:
    sim = SimulatedPrinter()
    printer = create_printer(PrinterConfig(kind="simulator", deadlines=FAST), simulator=sim)
    assert printer.print_ticket(ticket).ok
    (printed,) = sim.tickets()
    png = sim.render_png(tmp_path / "sim.png", printed)
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        (Faults(paper_out=True), FailureReason.PAPER_OUT),
        (Faults(cover_open=True), FailureReason.COVER_OPEN),
        (Faults(offline=True), FailureReason.OFFLINE),
        (Faults(error=True), FailureReason.ERROR),
        (Faults(mute_status=True), FailureReason.UNKNOWN),
    ],
)
def test_in_process_faults(ticket: TicketPrint, faults: Faults, reason: FailureReason) -> None:
    sim = SimulatedPrinter(faults=faults)
    result = create_printer(PrinterConfig(deadlines=FAST), simulator=sim).print_ticket(ticket)
    assert (result.ok, result.reason, result.sent) == (False, reason, False)
    assert sim.tickets() == []


def test_in_process_stall_hits_the_write_deadline(ticket: TicketPrint) -> None:
    sim = SimulatedPrinter(faults=Faults(stall_after=100))
    result = create_printer(PrinterConfig(deadlines=FAST), simulator=sim).print_ticket(ticket)
    assert (result.ok, result.reason) == (False, FailureReason.TIMEOUT)
    assert "took no data" in result.detail


def test_serial_transport_moves_bytes_over_pyserial_loop() -> None:
    link = SerialTransport("loop://", 9600)
    link.open(0.5)
    link.write(b"\x10\x04\x01", 0.5)
    assert link.read(3, 0.5) == b"\x10\x04\x01"  # loop:// echoes what was written
    assert link.read(1, 0.05) == b""
    link.close()


def test_serial_port_that_does_not_exist_is_offline() -> None:
    printer = create_printer(
        PrinterConfig(kind="serial", serial_port="/dev/does-not-exist", deadlines=FAST)
    )
    assert printer.status().state is PrinterState.OFFLINE


def test_usb_is_only_constructed_here() -> None:
    link = UsbTransport(0x0416, 0x5011)
    assert link.describe == "usb:0416:5011"
    printer = create_printer(PrinterConfig(kind="usb", usb_vendor=0x0416, usb_product=0x5011))
    assert printer.status().state is PrinterState.OFFLINE  # no pyusb or no device: offline


def test_one_mapping_from_the_config_section() -> None:
    """[kiosk.printer] → the driver's settings, in one place (the kiosk and `hall doctor`)."""
    from drivers.printer import Deadlines, printer_config
    from kiosk.settings import PrinterSection

    section = PrinterSection.model_validate(
        {
            "kind": "network",
            "profile": "escpos-58mm-cn",
            "host": "192.168.1.50",
            "port": 9101,
            "connect_s": 1.5,
            "write_s": 4.0,
            "status_s": 0.5,
            "cut": "partial",
        }
    )
    assert printer_config(section) == PrinterConfig(
        kind="network",
        profile="escpos-58mm-cn",
        host="192.168.1.50",
        port=9101,
        serial_port="/dev/ttyUSB0",
        baudrate=9600,
        usb_vendor=0,
        usb_product=0,
        deadlines=Deadlines(1.5, 4.0, 0.5),
        cut="partial",
    )
    assert printer_config(section, "sim").kind == "simulator"
