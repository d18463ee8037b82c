"""The simulator's archive (a PNG and the job's bytes per cut ticket), decoder offsets, the
technician's test page, and the on_sent hook the kiosk's journal relies on."""

from __future__ import annotations

from pathlib import Path

from drivers.printer import (
    DEFAULT_80MM,
    Deadlines,
    PrinterConfig,
    SimulatedPrinter,
    TicketPrint,
    build_test_page,
    build_ticket,
    create_printer,
)
from drivers.printer.decode import Cut, Decoder, QrCode, RasterImage, TextLine, decode, texts

FAST = Deadlines(connect=0.5, write=0.5, status=0.3)


def test_decoder_knows_where_each_element_ends(ticket: TicketPrint) -> None:
    job = build_ticket(ticket, DEFAULT_80MM)
    decoder = Decoder()
    for i in range(0, len(job), 7):  # in small pieces, as a TCP stream arrives
        decoder.feed(job[i : i + 7])
    elements = decoder.finish()
    assert len(decoder.ends) == len(elements)
    assert decoder.ends == sorted(decoder.ends)
    cut = elements.index(Cut(partial=False))
    assert decoder.ends[cut] == len(job)


def test_archive_writes_each_ticket_once(ticket: TicketPrint, tmp_path: Path) -> None:
    sim = SimulatedPrinter(archive=tmp_path)
    printer = create_printer(PrinterConfig(deadlines=FAST), simulator=sim)
    other = TicketPrint("乡镇便民服务站", "户籍", "B001", "09:00", 0, None, "https://h/t/1", "")
    assert printer.print_ticket(ticket).ok and printer.print_ticket(other).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "001-A012.bin",
        "001-A012.png",
        "002-B001.bin",
        "002-B001.png",
    ]
    assert (tmp_path / "001-A012.bin").read_bytes() == build_ticket(ticket, DEFAULT_80MM)
    assert (tmp_path / "002-B001.png").stat().st_size > 1000


def test_a_ticket_cut_short_is_not_archived(ticket: TicketPrint, tmp_path: Path) -> None:
    sim = SimulatedPrinter(archive=tmp_path)
    printer = create_printer(PrinterConfig(deadlines=FAST), simulator=sim)
    sim.faults.paper_out_after = 200
    assert not printer.print_ticket(ticket).ok
    sim.faults.paper_out = False
    sim.faults.paper_out_after = None
    assert printer.print_ticket(ticket).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["001-A012.bin", "001-A012.png"]
    assert (tmp_path / "001-A012.bin").read_bytes() == build_ticket(ticket, DEFAULT_80MM)


def test_test_page() -> None:
    """测试样张: marked at the top and the foot, no number and no QR code, so no one takes it
    for a ticket; Chinese, full-width marks, the large size and the cut."""
    job = build_test_page(DEFAULT_80MM, ["kiosk-1", "tcp://192.168.1.50:9100"])
    elements = decode(job)
    lines = texts(elements)
    assert lines[0] == "测试样张" and "非取号凭证" in lines[1] and "测试样张" in lines[-1]
    assert "tcp://192.168.1.50:9100" in lines
    assert "标点：，。、；！？（）【】《》“”——…" in lines
    assert not any(isinstance(e, QrCode | RasterImage) for e in elements)
    big = [e for e in elements if isinstance(e, TextLine) and e.width >= 3]
    assert big == []  # nothing the size of a ticket number
    assert elements[-1] == Cut(partial=False)
    partial = decode(build_test_page(DEFAULT_80MM, [], cut="partial"))
    assert partial[-1] == Cut(partial=True)


def test_test_page_is_archived_as_a_page(tmp_path: Path) -> None:
    sim = SimulatedPrinter(archive=tmp_path)
    printer = create_printer(PrinterConfig(deadlines=FAST), simulator=sim)
    assert printer.print_test_page(["kiosk-1"]).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["001-page.bin", "001-page.png"]


def test_on_sent_runs_after_the_bytes_and_only_then(ticket: TicketPrint) -> None:
    sim = SimulatedPrinter()
    printer = create_printer(PrinterConfig(deadlines=FAST), simulator=sim)
    seen: list[int] = []
    assert printer.print_ticket(ticket, on_sent=lambda: seen.append(len(sim.received))).ok
    assert seen and seen[0] >= len(build_ticket(ticket, DEFAULT_80MM))
    sim.faults.cover_open = True
    seen.clear()
    assert not printer.print_ticket(ticket, on_sent=lambda: seen.append(1)).ok
    assert seen == []  # nothing was sent: the journal stays in "printing"
