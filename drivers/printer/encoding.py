"""The project's own Chinese text encoding for ESC/POS printers.

python-escpos 3.1 picks a code page per string: GB18030 only when the string contains a CJK
ideograph, never sends FS &, and turns punctuation-only strings such as "：" or "——" into "?".
These pure functions select Chinese mode explicitly (FS &) and encode every line with the
profile's codec, so full-width punctuation prints as itself.
"""

from __future__ import annotations

import unicodedata

from drivers.printer import linebreak
from drivers.printer.profiles import PrinterProfile

FS_CHINESE_ON = b"\x1c\x26"
"""FS & : select Chinese character mode (multi-byte GB codes)."""
FS_CHINESE_OFF = b"\x1c\x2e"
"""FS . : cancel Chinese character mode."""
LF = b"\n"

# Tab becomes a space; every other C0/C1 control (ESC, GS, FS, DLE...) would be a printer
# command injected through a service or hall name, so it is dropped.
_CONTROL_TRANSLATION: dict[int, int | None] = {
    c: None for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
}
_CONTROL_TRANSLATION[0x09] = ord(" ")


def clean_text(text: str) -> str:
    """``text`` in NFC with line breaks and control characters removed (tab becomes a space)."""
    flat = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return unicodedata.normalize("NFC", flat).translate(_CONTROL_TRANSLATION)


def char_columns(char: str) -> int:
    """Columns of font A that ``char`` takes: 2 for wide and full-width characters, else 1."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    # Ambiguous-width characters that a Chinese font prints full width, as GB codes do.
    if unicodedata.east_asian_width(char) == "A" and ord(char) > 0x7F:
        return 2
    return 1


def text_columns(text: str) -> int:
    """Columns that ``text`` takes on the printer at normal size."""
    return sum(char_columns(c) for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """``text`` cut into lines of at most ``columns`` columns at sensible places
    (drivers.printer.linebreak), never splitting a character."""
    if columns < 2:
        raise ValueError("columns must be at least 2")
    return linebreak.wrap(clean_text(text), lambda line: text_columns(line) <= columns)


def fit_lines(text: str, columns: int) -> list[str] | None:
    """``text`` on one line of ``columns``, or on two broken at a good place, evenly; None
    when neither fits (for a title: print it smaller)."""
    return linebreak.balanced(
        clean_text(text), lambda line: text_columns(line) <= columns, text_columns
    )


def encode_text(text: str, profile: PrinterProfile) -> bytes:
    """``text`` (cleaned) in the profile's codec; a character the codec lacks becomes "?"."""
    return clean_text(text).encode(profile.codec, errors="replace")


def text_line(text: str, profile: PrinterProfile) -> bytes:
    """One printed line: FS & (when the profile uses Chinese mode), the encoded text, LF.

    FS & is repeated on every line so that an ESC @ sent by anyone in between cannot leave
    the printer in single-byte mode, where GB codes print as mojibake.
    """
    prefix = FS_CHINESE_ON if profile.chinese_mode else b""
    return prefix + encode_text(text, profile) + LF
