"""A small ESC/POS decoder: the bytes a ticket printer receives, as printed elements.

It understands what the ticket builder sends (ESC @, ESC a, ESC E, ESC !, GS !, FS &, FS .,
GB18030 text, LF, ESC d, GS ( k QR store/print, GS v 0 raster, GS V cut, DLE EOT) and skips
other common commands by their known lengths. It is incremental: ``Decoder.feed`` keeps an
incomplete command until the rest arrives, so a simulator can decode a stream as it comes.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNS = ("left", "center", "right")
EC_LEVELS = "LMQH"


@dataclass(frozen=True)
class TextLine:
    text: str
    align: str = "left"
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass(frozen=True)
class QrCode:
    payload: str
    module: int = 3
    ec: str = "L"
    model: int = 2
    align: str = "left"


@dataclass(frozen=True)
class RasterImage:
    """A GS v 0 bit image: ``data`` is ``height`` rows of ``width // 8`` bytes, 1 = black."""

    width: int
    height: int
    data: bytes
    align: str = "left"


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    partial: bool


@dataclass(frozen=True)
class StatusRequest:
    n: int


@dataclass(frozen=True)
class Unknown:
    data: bytes


Element = TextLine | QrCode | RasterImage | Feed | Cut | StatusRequest | Unknown

# Commands skipped by argument count: (prefix byte, command byte) -> number of argument bytes.
_SKIP = {
    **{(0x1B, c): 1 for c in b"tJ-MG{VR3U SrcU=%"},
    (0x1B, ord("2")): 0,
    (0x1B, ord("p")): 3,
    (0x1B, ord("$")): 2,
    (0x1B, ord("\\")): 2,
    **{(0x1D, c): 1 for c in b"BhwHfbIraP"},
    (0x1D, ord("L")): 2,
    (0x1D, ord("W")): 2,
    (0x1D, ord("$")): 2,
    **{(0x1C, c): 1 for c in b"!-WC"},
    (0x1C, ord("S")): 2,
    (0x1C, ord("p")): 2,
    (0x10, 0x05): 1,
    (0x10, 0x14): 3,
}


class Decoder:
    """Decodes ESC/POS bytes fed in any pieces into ``Element`` values."""

    def __init__(self) -> None:
        self._pending = b""
        self._text = bytearray()
        self._style: tuple[str, bool, int, int] | None = None
        self._qr_data = b""
        self._qr = {"module": 3, "ec": 0, "model": 2}
        self._reset()
        self.elements: list[Element] = []
        self.ends: list[int] = []
        """For each element, the stream offset just past its last byte."""
        self._consumed = 0

    def _reset(self) -> None:
        self.align = "left"
        self.bold = False
        self.width = 1
        self.height = 1
        self.chinese = False

    def feed(self, data: bytes) -> list[Element]:
        """Decode ``data`` after what came before; returns the elements completed by it."""
        start = len(self.elements)
        buf = self._pending + data
        base = self._consumed
        i = 0
        while i < len(buf):
            before = len(self.elements)
            nxt = self._step(buf, i)
            if nxt is None:
                break
            i = nxt
            self.ends.extend([base + i] * (len(self.elements) - before))
        self._consumed = base + i
        self._pending = buf[i:]
        return self.elements[start:]

    def drop_partial(self) -> None:
        """Forget a command or line cut off in the middle (a printer that hung and was
        reset prints none of it); the stream offsets stay counted."""
        self._consumed += len(self._pending)
        self._pending = b""
        self._text.clear()
        self._qr_data = b""

    def finish(self) -> list[Element]:
        """Flush a last unterminated line and any incomplete command; returns all elements."""
        self._flush(force=False)
        if self._pending:
            self.elements.append(Unknown(self._pending))
            self._consumed += len(self._pending)
            self._pending = b""
        self.ends.extend([self._consumed] * (len(self.elements) - len(self.ends)))
        return self.elements

    def _emit(self, element: Element) -> None:
        self.elements.append(element)

    def _flush(self, *, force: bool) -> None:
        if not self._text and not force:
            return
        align, bold, width, height = self._style or self._current_style()
        codec = "gb18030" if self.chinese else "cp437"
        text = bytes(self._text).decode(codec, errors="replace")
        self._emit(TextLine(text, align, bold, width, height))
        self._text.clear()
        self._style = None

    def _current_style(self) -> tuple[str, bool, int, int]:
        return (self.align, self.bold, self.width, self.height)

    def _step(self, buf: bytes, i: int) -> int | None:
        b = buf[i]
        if b == 0x0A:
            self._flush(force=True)
            return i + 1
        if b in (0x1B, 0x1D, 0x1C, 0x10):
            return self._command(buf, i)
        if b == 0x09:
            b = 0x20
        if b < 0x20 and b != 0x20:
            return i + 1  # CR and other stray controls print nothing
        if not self._text:
            self._style = self._current_style()
        self._text.append(b)
        return i + 1

    def _command(self, buf: bytes, i: int) -> int | None:
        if i + 1 >= len(buf):
            return None
        prefix, cmd = buf[i], buf[i + 1]
        arg = buf[i + 2] if i + 2 < len(buf) else None
        if prefix == 0x1B:
            if cmd == ord("@"):
                self._flush(force=False)
                self._reset()
                return i + 2
            if cmd in b"aE!d" and arg is None:
                return None
            if cmd == ord("a") and arg is not None:
                self.align = ALIGNS[arg % 48] if arg % 48 < 3 else "left"
                return i + 3
            if cmd == ord("E") and arg is not None:
                self.bold = bool(arg & 1)
                return i + 3
            if cmd == ord("!") and arg is not None:
                self.bold = bool(arg & 0x08)
                self.width = 2 if arg & 0x20 else 1
                self.height = 2 if arg & 0x10 else 1
                return i + 3
            if cmd == ord("d") and arg is not None:
                self._flush(force=False)
                self._emit(Feed(arg))
                return i + 3
        elif prefix == 0x1D:
            if cmd == ord("!"):
                if arg is None:
                    return None
                self.width, self.height = (arg >> 4) + 1, (arg & 0x0F) + 1
                return i + 3
            if cmd == ord("("):
                return self._function(buf, i)
            if cmd == ord("v"):
                return self._raster(buf, i)
            if cmd == ord("V"):
                if arg is None:
                    return None
                self._flush(force=False)
                self._emit(Cut(partial=arg in (1, 49, 66, 98, 104)))
                return i + (4 if arg >= 65 else 3)
        elif prefix == 0x1C:
            if cmd == ord("&"):
                self.chinese = True
                return i + 2
            if cmd == ord("."):
                self.chinese = False
                return i + 2
        elif prefix == 0x10 and cmd == 0x04:
            if arg is None:
                return None
            self._emit(StatusRequest(arg))
            return i + 3
        size = _SKIP.get((prefix, cmd))
        if size is None:
            self._emit(Unknown(buf[i : i + 2]))
            return i + 2
        if i + 2 + size > len(buf):
            return None
        return i + 2 + size

    def _function(self, buf: bytes, i: int) -> int | None:
        """GS ( fn pL pH ...: QR store/print decoded, other functions skipped by length."""
        if i + 5 > len(buf):
            return None
        length = buf[i + 3] | buf[i + 4] << 8
        end = i + 5 + length
        if end > len(buf):
            return None
        body = buf[i + 5 : end]
        if buf[i + 2] != ord("k") or len(body) < 2 or body[0] != 49:
            self._emit(Unknown(buf[i:end]))
            return end
        fn = body[1]
        if fn == 65 and len(body) >= 3:
            self._qr["model"] = body[2] - 48
        elif fn == 67 and len(body) >= 3:
            self._qr["module"] = body[2]
        elif fn == 69 and len(body) >= 3:
            self._qr["ec"] = (body[2] - 48) % 4
        elif fn == 80:
            self._qr_data = body[3:]
        elif fn == 81:
            self._flush(force=False)
            payload = self._qr_data.decode("utf-8", errors="replace")
            ec = EC_LEVELS[self._qr["ec"]]
            self._emit(QrCode(payload, self._qr["module"], ec, self._qr["model"], self.align))
        return end

    def _raster(self, buf: bytes, i: int) -> int | None:
        """GS v 0 m xL xH yL yH d1...dk."""
        if i + 8 > len(buf):
            return None
        width_bytes = buf[i + 4] | buf[i + 5] << 8
        height = buf[i + 6] | buf[i + 7] << 8
        end = i + 8 + width_bytes * height
        if end > len(buf):
            return None
        self._flush(force=False)
        self._emit(RasterImage(width_bytes * 8, height, bytes(buf[i + 8 : end]), self.align))
        return end


def decode(data: bytes) -> list[Element]:
    """All the elements that ``data`` prints, in order."""
    decoder = Decoder()
    decoder.feed(data)
    return decoder.finish()


def texts(elements: list[Element]) -> list[str]:
    """The text of every printed line, in order (a helper for tests and logs)."""
    return [e.text for e in elements if isinstance(e, TextLine)]
