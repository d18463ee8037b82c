"""A ticket's printed content and the pure function that builds its ESC/POS bytes.

python-escpos (its ``Dummy`` printer, which records bytes) builds the commands it does right:
initialise, text style and size (GS !), alignment, native QR (GS ( k), raster images
(GS v 0) and the cut. Text goes through the project's own encoding (``encoding.text_line``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import qrcode
from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2
from escpos.printer import Dummy
from PIL import Image

from drivers.printer.encoding import FS_CHINESE_ON, text_line, wrap
from drivers.printer.profiles import PrinterProfile

WAITING_LABEL = "前面还有 {n} 人等候"
ESTIMATE_LABEL = "预计等待约 {m} 分钟"
NO_ESTIMATE_LABEL = "预计等待：暂无估计"
ISSUED_LABEL = "取号时间：{t}"
QR_CAPTION = "扫码查看排队进度"


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on one queue ticket. No personal data belongs here."""

    hall_name: str
    service_name: str
    number: str
    issued_at: str
    waiting_ahead: int
    est_wait_min: int | None
    qr_payload: str
    notice: str
    priority_label: str | None = None
    appointment_note: str | None = None

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValueError("ticket number must not be empty")
        if self.waiting_ahead < 0:
            raise ValueError("waiting_ahead must be >= 0")
        if self.est_wait_min is not None and self.est_wait_min < 0:
            raise ValueError("est_wait_min must be >= 0 or None")
        if not self.qr_payload or not self.qr_payload.isascii():
            raise ValueError("qr_payload must be a non-empty ASCII URL")


def build_ticket(ticket: TicketPrint, profile: PrinterProfile) -> bytes:
    """The complete ESC/POS job for ``ticket`` on a printer of ``profile``, ending in a cut."""
    out = _recorder(profile)
    out.hw("INIT")
    if profile.chinese_mode:
        out._raw(FS_CHINESE_ON)
    _text(out, profile, ticket.hall_name, bold=True, width=2, height=2)
    _text(out, profile, ticket.service_name, bold=True, height=2)
    _rule(out, profile)
    _text(
        out,
        profile,
        ticket.number,
        bold=True,
        width=profile.number_size,
        height=profile.number_size,
    )
    if ticket.priority_label:
        _text(out, profile, f"【{ticket.priority_label}】", bold=True, height=2)
    _text(out, profile, WAITING_LABEL.format(n=ticket.waiting_ahead))
    if ticket.est_wait_min is None:
        _text(out, profile, NO_ESTIMATE_LABEL)
    else:
        _text(out, profile, ESTIMATE_LABEL.format(m=ticket.est_wait_min))
    if ticket.appointment_note:
        _text(out, profile, ticket.appointment_note)
    _text(out, profile, ISSUED_LABEL.format(t=ticket.issued_at))
    _qr(out, profile, ticket.qr_payload)
    _text(out, profile, QR_CAPTION)
    _rule(out, profile)
    if ticket.notice:
        _text(out, profile, ticket.notice)
    out.set(align="left")
    out.cut()
    return bytes(out.output)


TEST_TITLE = "打印测试 TEST PAGE"
TEST_PUNCTUATION = "标点：，。、；！？（）【】《》“”——…"


def build_test_page(profile: PrinterProfile, lines: list[str], qr_payload: str) -> bytes:
    """A technician's test page: title, ``lines``, every full-width mark, the largest size,
    a QR code and the cut, so one sheet shows that Chinese, sizes, QR and cutter work."""
    out = _recorder(profile)
    out.hw("INIT")
    if profile.chinese_mode:
        out._raw(FS_CHINESE_ON)
    _text(out, profile, TEST_TITLE, bold=True, width=2, height=2)
    _rule(out, profile)
    for line in lines:
        _text(out, profile, line, align="left")
    _text(out, profile, TEST_PUNCTUATION, align="left")
    _text(out, profile, "A000", bold=True, width=profile.number_size, height=profile.number_size)
    _qr(out, profile, qr_payload)
    _rule(out, profile)
    out.set(align="left")
    out.cut()
    return bytes(out.output)


def qr_image(payload: str, profile: PrinterProfile) -> Image.Image:
    """The QR code of ``payload`` (model 2, level M) centred on a 1-bit strip of paper width."""
    module = profile.qr_module
    while True:
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=2
        )
        code.add_data(payload)
        code.make(fit=True)
        img = code.make_image().get_image().convert("1")
        if img.width <= profile.dots or module == 1:
            break
        module -= 1
    strip = Image.new("1", (profile.dots, img.height), 1)
    strip.paste(img, ((profile.dots - img.width) // 2, 0))
    return strip


def _recorder(profile: PrinterProfile) -> Dummy:
    out = Dummy()
    # A private copy of the escpos profile data with our paper width, so that image() knows it
    # without touching the shared class-level data (and without printing a warning).
    data = copy.deepcopy(out.profile.profile_data)
    data["media"]["width"] = {"mm": profile.paper_mm, "pixels": profile.dots}
    out.profile.profile_data = data
    return out


def _text(
    out: Dummy,
    profile: PrinterProfile,
    text: str,
    *,
    align: str = "center",
    bold: bool = False,
    width: int = 1,
    height: int = 1,
) -> None:
    out.set(align=align, bold=bold, custom_size=True, width=width, height=height)
    for line in wrap(text, max(2, profile.columns // width)):
        out._raw(text_line(line, profile))


def _rule(out: Dummy, profile: PrinterProfile) -> None:
    _text(out, profile, "-" * profile.columns)


def _qr(out: Dummy, profile: PrinterProfile, payload: str) -> None:
    out.set(align="center", bold=False, custom_size=True, width=1, height=1)
    if profile.native_qr:
        out.qr(payload, ec=QR_ECLEVEL_M, size=profile.qr_module, model=QR_MODEL_2, native=True)
        out._raw(b"\n")
    else:
        out.image(qr_image(payload, profile), impl="bitImageRaster")
