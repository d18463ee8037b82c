"""Fixtures for the printer driver tests: a sample ticket and a TCP-simulated printer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.printer import SimulatedPrinter, SimulatorServer, TicketPrint


@pytest.fixture
def ticket() -> TicketPrint:
    return TicketPrint(
        hall_name="市民中心政务服务大厅",
        service_name="社会保障卡申领",
        number="A012",
        issued_at="2024-05-06 09:12",
        waiting_ahead=3,
        est_wait_min=15,
        qr_payload="https://hall.example.cn/t/7f3a9c",
        notice="请留意叫号：过号需重新取号——谢谢（本票当日有效）",
        priority_label="老年人优先",
        appointment_note="预约已签到 09:00-09:30",
    )


@pytest.fixture
def sim() -> SimulatedPrinter:
    return SimulatedPrinter()


@pytest.fixture
def server(sim: SimulatedPrinter) -> Iterator[SimulatorServer]:
    with SimulatorServer(sim, port=0) as srv:
        yield srv
