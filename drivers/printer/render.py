"""Draws decoded ESC/POS elements as a PNG of the paper, for the simulator, tests and demo."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from drivers.printer.decode import Cut, Element, Feed, QrCode, RasterImage, TextLine

log = logging.getLogger(__name__)

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
BASE = 24  # font A is 12x24 dots: a hanzi is 24x24
LINE = 30  # the default line spacing, in dots
MARGIN = 16

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def _font(size: int) -> Font:
    for path in CJK_FONTS:
        if not Path(path).exists():
            continue
        for index in (2, 0):  # Noto CJK's collection holds SC at index 2
            try:
                font = ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
            if "SC" in str(font.getname()[0]) or index == 0:
                return font
    log.warning("no CJK font found; tickets are rendered with Pillow's default font")
    return ImageFont.load_default(size)


def _text_strip(line: TextLine, width: int) -> Image.Image:
    font = _font(BASE * line.height)
    box = font.getbbox(line.text or " ")
    right, bottom = int(box[2]), int(box[3])
    height = max(LINE * line.height, bottom + 4)
    strip = Image.new("L", (width, height), 255)
    if not line.text.strip():
        return strip
    glyphs = Image.new("L", (max(1, right) + 2, bottom + 2), 255)
    ImageDraw.Draw(glyphs).text(
        (0, 0), line.text, font=font, fill=0, stroke_width=1 if line.bold else 0, stroke_fill=0
    )
    if line.width != line.height:  # GS ! scales width and height independently
        scaled = max(1, glyphs.width * line.width // line.height)
        glyphs = glyphs.resize((scaled, glyphs.height))
    glyphs = glyphs.crop((0, 0, min(glyphs.width, width), glyphs.height))
    strip.paste(glyphs, (_x(line.align, glyphs.width, width), (height - glyphs.height) // 2))
    return strip


def _qr_strip(code: QrCode, width: int) -> Image.Image:
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    qr = qrcode.QRCode(error_correction=levels[code.ec], box_size=max(1, code.module), border=2)
    qr.add_data(code.payload)
    qr.make(fit=True)
    img = qr.make_image().get_image().convert("L")
    strip = Image.new("L", (width, img.height), 255)
    strip.paste(img, (_x(code.align, img.width, width), 0))
    return strip


def _raster_strip(image: RasterImage, width: int) -> Image.Image:
    inverted = bytes(255 - b for b in image.data)  # ESC/POS 1 = black; Pillow "1" 1 = white
    img = Image.frombytes("1", (image.width, image.height), inverted).convert("L")
    strip = Image.new("L", (width, image.height), 255)
    strip.paste(
        img.crop((0, 0, min(width, img.width), img.height)),
        (_x(image.align, min(width, img.width), width), 0),
    )
    return strip


def _cut_strip(width: int, partial: bool = False) -> Image.Image:
    """A dashed line across the paper; a partial cut leaves the middle uncut (a tab)."""
    strip = Image.new("L", (width + 2 * MARGIN, 24), 255)
    draw = ImageDraw.Draw(strip)
    middle = strip.width // 2
    for x in range(0, strip.width, 12):
        if partial and abs(x - middle) < 48:
            continue
        draw.line((x, 12, x + 6, 12), fill=96, width=2)
    return strip


def _x(align: str, item: int, width: int) -> int:
    if align == "center":
        return max(0, (width - item) // 2)
    if align == "right":
        return max(0, width - item)
    return 0


def render(elements: Iterable[Element], dots: int = 576) -> Image.Image:
    """The paper that ``elements`` print on a head ``dots`` wide, as a greyscale image."""
    strips: list[tuple[Image.Image, bool]] = []  # (image, full width incl. margins)
    for element in elements:
        if isinstance(element, TextLine):
            strips.append((_text_strip(element, dots), False))
        elif isinstance(element, QrCode):
            strips.append((_qr_strip(element, dots), False))
        elif isinstance(element, RasterImage):
            strips.append((_raster_strip(element, dots), False))
        elif isinstance(element, Feed):
            strips.append((Image.new("L", (dots, LINE * element.lines), 255), False))
        elif isinstance(element, Cut):
            strips.append((_cut_strip(dots, element.partial), True))
    height = 2 * MARGIN + sum(s.height for s, _ in strips)
    paper = Image.new("L", (dots + 2 * MARGIN, height), 255)
    y = MARGIN
    for strip, full in strips:
        paper.paste(strip, (0 if full else MARGIN, y))
        y += strip.height
    return paper


def render_png(elements: Iterable[Element], path: Path, dots: int = 576) -> Path:
    """Renders ``elements`` to a PNG at ``path`` (parents created) and returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render(elements, dots).save(path, format="PNG")
    return path
