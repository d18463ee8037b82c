"""Printer model profiles: paper width, text columns, codec and QR capability."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrinterProfile:
    """What the ticket builder must know about one printer model.

    ``dots`` is the printable width in dots (203 dpi heads: 576 on 80 mm paper, 384 on 58 mm);
    ``columns`` is the number of half-width characters of font A (12x24) on one line, a
    full-width character (hanzi, full-width punctuation) takes two.
    """

    name: str
    paper_mm: int
    dots: int
    columns: int
    native_qr: bool
    qr_module: int
    number_size: int
    codec: str = "gb18030"
    chinese_mode: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.qr_module <= 16:
            raise ValueError(f"profile {self.name}: qr_module must be 1..16, got {self.qr_module}")
        if not 1 <= self.number_size <= 8:
            raise ValueError(f"profile {self.name}: number_size must be 1..8")
        if self.dots % 8 or self.dots <= 0:
            raise ValueError(f"profile {self.name}: dots must be a positive multiple of 8")
        "".encode(self.codec)  # unknown codec names fail here, at start-up


DEFAULT_80MM = PrinterProfile(
    name="escpos-80mm-cn",
    paper_mm=80,
    dots=576,
    columns=48,
    native_qr=True,
    qr_module=6,
    number_size=4,
)
"""A common 80 mm ESC/POS printer with a Chinese font and native QR (GS ( k)."""

COMPACT_58MM = PrinterProfile(
    name="escpos-58mm-cn",
    paper_mm=58,
    dots=384,
    columns=32,
    native_qr=True,
    qr_module=5,
    number_size=3,
)
"""A 58 mm ESC/POS printer with a Chinese font and native QR."""

RASTER_QR_80MM = PrinterProfile(
    name="escpos-80mm-cn-raster-qr",
    paper_mm=80,
    dots=576,
    columns=48,
    native_qr=False,
    qr_module=6,
    number_size=4,
)
"""An 80 mm printer without native QR: the QR code is sent as a raster image (GS v 0)."""

PROFILES: dict[str, PrinterProfile] = {
    p.name: p for p in (DEFAULT_80MM, COMPACT_58MM, RASTER_QR_80MM)
}


def get_profile(name: str) -> PrinterProfile:
    """The profile called ``name``; an unknown name raises ``ValueError`` listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown printer profile {name!r}; known profiles: {known}") from None
