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

from drivers.printer.encoding import FS_CHINESE_ON, fit_lines, text_line, wrap
from drivers.printer.profiles import PrinterProfile

WAITING_LABEL = "前面还有 {n} 人等候"
NOBODY_WAITING = "前面没有人等候"
ESTIMATE_LABEL = "预计等待约 {m} 分钟"
NO_ESTIMATE_LABEL = "预计等待：暂无估计"
ISSUED_LABEL = "取号时间：{t}"
QR_CAPTION = "扫码查看排队进度"
CUTS = ("full", "partial")


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on one queue ticket. No personal data belongs here.

    ``qr_payload`` None: no QR code (no status page is configured for the hall)."""

    hall_name: str
    service_name: str
    number: str
    issued_at: str
    waiting_ahead: int
    est_wait_min: int | None
    qr_payload: str | None
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
        if self.qr_payload is not None and (not self.qr_payload or not self.qr_payload.isascii()):
            raise ValueError("qr_payload must be a non-empty ASCII URL, or None for no QR")


def build_ticket(ticket: TicketPrint, profile: PrinterProfile, cut: str = "full") -> bytes:
    """The complete ESC/POS job for ``ticket`` on a printer of ``profile``, ending in a
    ``cut`` ("full", or "partial": the ticket stays on a tab until the citizen takes it)."""
    out = _start(profile)
    _title(out, profile, ticket.hall_name)
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
    if ticket.waiting_ahead == 0:
        _text(out, profile, NOBODY_WAITING)
    else:
        _text(out, profile, WAITING_LABEL.format(n=ticket.waiting_ahead))
        if ticket.est_wait_min is None:
            _text(out, profile, NO_ESTIMATE_LABEL)
        else:
            # someone is ahead: under a minute reads "约 1 分钟", never "约 0 分钟"
            _text(out, profile, ESTIMATE_LABEL.format(m=max(1, ticket.est_wait_min)))
    if ticket.appointment_note:
        _text(out, profile, ticket.appointment_note)
    _text(out, profile, ISSUED_LABEL.format(t=ticket.issued_at))
    if ticket.qr_payload:
        _qr(out, profile, ticket.qr_payload)
        _text(out, profile, QR_CAPTION)
    _rule(out, profile)
    if ticket.notice:
        _text(out, profile, ticket.notice)
    _cut(out, cut)
    return bytes(out.output)


TEST_TITLE = "测试样张"
TEST_NOT_A_TICKET = "TEST PAGE · 非取号凭证，请勿发给群众"
TEST_PUNCTUATION = "标点：，。、；！？（）【】《》“”——…"
TEST_SIZES = "字号 2×2：湛河区政务服务中心"
TEST_CUT = "↓ 以下切纸 ↓"


def build_test_page(profile: PrinterProfile, lines: list[str], cut: str = "full") -> bytes:
    """A technician's test page that no one could take for a ticket: 测试样张 at the top and
    foot, ``lines``, every full-width mark, a large-size sample and the cut; no number, no
    QR code."""
    out = _start(profile)
    _text(out, profile, TEST_TITLE, bold=True, width=2, height=2)
    _text(out, profile, TEST_NOT_A_TICKET, bold=True)
    _rule(out, profile)
    for line in lines:
        _text(out, profile, line, align="left")
    _text(out, profile, TEST_PUNCTUATION, align="left")
    _text(out, profile, TEST_SIZES, width=2, height=2)
    _rule(out, profile)
    _text(out, profile, f"{TEST_TITLE} · {TEST_CUT}")
    _cut(out, cut)
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


def _start(profile: PrinterProfile) -> Dummy:
    out = _recorder(profile)
    out.hw("INIT")
    if profile.chinese_mode:
        out._raw(FS_CHINESE_ON)
    return out


def _cut(out: Dummy, cut: str) -> None:
    if cut not in CUTS:
        raise ValueError(f"cut must be one of {', '.join(CUTS)}, not {cut!r}")
    out.set(align="left")
    out.cut(mode="PART" if cut == "partial" else "FULL")


def _title(out: Dummy, profile: PrinterProfile, name: str) -> None:
    """The hall's name as large as it goes: double size on one line or on two lines broken
    at a good place (湛河区 / 政务服务中心), else double height on as many lines as needed."""
    lines = fit_lines(name, profile.columns // 2)
    if lines is None:
        _text(out, profile, name, bold=True, height=2)
        return
    for line in lines:
        _text(out, profile, line, bold=True, width=2, height=2)


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
