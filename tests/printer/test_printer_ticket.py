"""The ticket's bytes: decode(build(ticket)) gives back what the citizen must read, and a PNG."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from drivers.printer import (
    DEFAULT_80MM,
    PROFILES,
    RASTER_QR_80MM,
    PrinterConfig,
    PrinterProfile,
    SimulatedPrinter,
    TicketPrint,
    build_ticket,
    create_printer,
)
from drivers.printer.decode import Cut, QrCode, RasterImage, TextLine, decode, texts
from drivers.printer.render import render_png

SAMPLES = Path("/tmp/printer-samples")


@pytest.mark.parametrize("profile", PROFILES.values(), ids=lambda p: p.name)
def test_round_trip(ticket: TicketPrint, profile: PrinterProfile) -> None:
    job = build_ticket(ticket, profile)
    elements = decode(job)
    lines = texts(elements)
    joined = "".join(lines)
    assert ticket.hall_name in joined  # may wrap on 58 mm
    assert ticket.service_name in lines
    assert "【老年人优先】" in lines
    assert "前面还有 3 人等候" in lines
    assert "预计等待约 15 分钟" in lines
    assert "取号时间：2024-05-06 09:12" in lines
    assert "请留意叫号：过号需重新取号——谢谢（本票当日有效）" in joined
    assert "?" not in joined and "\ufffd" not in joined
    number = next(e for e in elements if isinstance(e, TextLine) and e.text == "A012")
    assert (number.width, number.height) == (profile.number_size, profile.number_size)
    assert number.align == "center" and number.bold
    assert isinstance(elements[-1], Cut)
    assert elements.count(Cut(partial=False)) == 1
    assert not any(type(e).__name__ == "Unknown" for e in elements)


def test_native_qr_is_model_2_level_m(ticket: TicketPrint) -> None:
    profile = PROFILES["escpos-80mm-cn"]
    job = build_ticket(ticket, profile)
    assert b"\x1d(k\x04\x001A2\x00" in job  # model 2
    assert b"\x1d(k\x03\x001E1" in job  # error correction M
    (qr,) = [e for e in decode(job) if isinstance(e, QrCode)]
    assert qr == QrCode(ticket.qr_payload, profile.qr_module, "M", 2, "center")


def test_printer_without_native_qr_gets_a_raster_image(ticket: TicketPrint) -> None:
    job = build_ticket(ticket, RASTER_QR_80MM)
    assert b"\x1d(k" not in job
    assert b"\x1dv0" in job
    (img,) = [e for e in decode(job) if isinstance(e, RasterImage)]
    assert img.width == RASTER_QR_80MM.dots
    assert any(img.data)


def test_ticket_without_estimate_or_extras(ticket: TicketPrint) -> None:
    plain = TicketPrint(
        "乡镇便民服务站", "户籍", "B001", "09:00", 2, None, "https://h.example/t/1", ""
    )
    lines = texts(decode(build_ticket(plain, PROFILES["escpos-58mm-cn"])))
    assert "前面还有 2 人等候" in lines and "预计等待：暂无估计" in lines
    assert not any("【" in line for line in lines)


def test_nobody_ahead_is_said_plainly(ticket: TicketPrint) -> None:
    first = dataclasses.replace(ticket, waiting_ahead=0, est_wait_min=0)
    lines = texts(decode(build_ticket(first, PROFILES["escpos-80mm-cn"])))
    assert "前面没有人等候" in lines
    assert not any("0 人" in line or "0 分钟" in line or "预计等待" in line for line in lines)


def test_a_wait_under_a_minute_is_about_one_minute(ticket: TicketPrint) -> None:
    soon = dataclasses.replace(ticket, waiting_ahead=1, est_wait_min=0)
    lines = texts(decode(build_ticket(soon, PROFILES["escpos-80mm-cn"])))
    assert "前面还有 1 人等候" in lines and "预计等待约 1 分钟" in lines
    assert not any("0 分钟" in line for line in lines)


def test_no_qr_code_without_a_status_page(ticket: TicketPrint) -> None:
    """No hall status page configured: no QR code to a made-up address, no caption."""
    elements = decode(build_ticket(dataclasses.replace(ticket, qr_payload=None), DEFAULT_80MM))
    assert not any(isinstance(e, QrCode | RasterImage) for e in elements)
    assert "扫码查看排队进度" not in texts(elements)


@pytest.mark.parametrize("profile", PROFILES.values(), ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("湛河区政务服务中心", {"escpos-58mm-cn": ["湛河区", "政务服务中心"]}),
        ("平顶山市湛河区政务服务中心", {"": ["平顶山市湛河区", "政务服务中心"]}),
    ],
)
def test_hall_name_breaks_between_words(
    ticket: TicketPrint, profile: PrinterProfile, name: str, lines: dict[str, list[str]]
) -> None:
    """On 58 mm (8 characters at double size) and for a 13-character name on 80 mm the
    hall's name breaks before 政务服务中心, never as 政务服务中 / 心; else it is one line."""
    elements = decode(build_ticket(dataclasses.replace(ticket, hall_name=name), profile))
    title = [e.text for e in elements if isinstance(e, TextLine) and e.width == 2]
    assert title == lines.get(profile.name, lines.get("", [name]))


def test_partial_cut(ticket: TicketPrint) -> None:
    assert decode(build_ticket(ticket, DEFAULT_80MM, cut="partial"))[-1] == Cut(partial=True)
    sim = SimulatedPrinter()
    printer = create_printer(PrinterConfig(cut="partial"), simulator=sim)
    assert printer.print_ticket(ticket).ok and sim.tickets()[0][-1] == Cut(partial=True)
    with pytest.raises(ValueError):
        build_ticket(ticket, DEFAULT_80MM, cut="half")


@pytest.mark.parametrize(
    "bad",
    [
        {"number": " "},
        {"waiting_ahead": -1},
        {"est_wait_min": -5},
        {"qr_payload": ""},
        {"hall_name": "湛河区", "qr_payload": ""},
        {"qr_payload": "https://例子.cn"},
    ],
)
def test_invalid_ticket_is_refused(ticket: TicketPrint, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(ticket, **bad)


@pytest.mark.parametrize("profile", PROFILES.values(), ids=lambda p: p.name)
def test_rendered_png(ticket: TicketPrint, profile: PrinterProfile, tmp_path: Path) -> None:
    job = build_ticket(ticket, profile)
    png = render_png(decode(job), tmp_path / f"ticket-{profile.name}.png", profile.dots)
    with Image.open(png) as img:
        assert img.width == profile.dots + 32
        assert img.height > 600
        dark = sum(img.convert("L").histogram()[:128])
        assert dark > 5000  # text and QR actually drawn
    SAMPLES.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SAMPLES / png.name)
    (SAMPLES / f"ticket-{profile.name}.bin").write_bytes(job)
