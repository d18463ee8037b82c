"""The legacy call-pad profile: ``FF 68 L L 68 ADDR CMD DATA... CS 16``. Pure, no IO.

L counts ADDR, CMD and DATA; CS is the sum of ADDR, CMD and DATA modulo 256. The leading
0xFF is a wake-up preamble: we always send it and never require it. Decisions the vendor
material leaves open are in docs/PAD_PROTOCOL.md ("Legacy profile").
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_pad.receiver import ByteReceiver

PREAMBLE = 0xFF
START = 0x68
END = 0x16
MAX_DATA = 62  # our limit: L <= 64, as in v1
MIN_L = 2

CMD_KEY = 0x01  # pad -> host, unsolicited; the host echoes the frame as its ACK
CMD_DISPLAY = 0x02  # host -> pad: 3 ticket digits + 3 waiting digits; the pad echoes
CMD_BEEP = 0x03  # host -> pad: one byte, beep count 1-5; the pad echoes

BLANK = 0x0A
KEY_DIGITS = range(0x00, 0x0A)
KEY_EVALUATE = 0x0B
KEY_CALL = 0x0C
KEY_RECALL = 0x0D
KEY_CANCEL = 0x0E
KEY_FUNCTION = 0x0F
KEY_PAUSE = 0x12
KEY_TRANSFER = 0x13


class LegacyFrameError(ValueError):
    pass


@dataclass(frozen=True)
class LegacyFrame:
    addr: int
    cmd: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode_legacy(self.addr, self.cmd, self.data)

    @property
    def key_code(self) -> int | None:
        """The key code of a key frame (its last data byte)."""
        return self.data[-1] if self.cmd == CMD_KEY and self.data else None


def checksum(addr: int, cmd: int, data: bytes) -> int:
    return (addr + cmd + sum(data)) & 0xFF


def encode_legacy(addr: int, cmd: int, data: bytes = b"") -> bytes:
    if not (0 <= addr <= 0xFF and 0 <= cmd <= 0xFF):
        raise LegacyFrameError(f"addr {addr} or cmd {cmd} out of range")
    if len(data) > MAX_DATA:
        raise LegacyFrameError(f"{len(data)} data bytes, at most {MAX_DATA}")
    n = len(data) + 2
    return (
        bytes((PREAMBLE, START, n, n, START, addr, cmd))
        + data
        + bytes((checksum(addr, cmd, data), END))
    )


def encode_key(addr: int, code: int) -> bytes:
    return encode_legacy(addr, CMD_KEY, bytes((code,)))


def display_digits(ticket: str | None, waiting: int | None) -> bytes:
    """Six digit bytes: the ticket's last three digits and the waiting count (<= 999).

    The ticket keeps leading zeros ("A012" -> 0 1 2), letters are dropped; the waiting
    count is right-aligned with blanks (5 -> blank blank 5); None blanks a half.
    """
    if ticket is None or not any(c.isdigit() for c in ticket):
        left = bytes((BLANK,) * 3)
    else:
        digits = "".join(c for c in ticket if c.isdigit())[-3:].rjust(3, "0")
        left = bytes(int(c) for c in digits)
    if waiting is None:
        right = bytes((BLANK,) * 3)
    else:
        text = str(min(max(waiting, 0), 999)).rjust(3)
        right = bytes(BLANK if c == " " else int(c) for c in text)
    return left + right


def encode_display(addr: int, ticket: str | None, waiting: int | None) -> bytes:
    return encode_legacy(addr, CMD_DISPLAY, display_digits(ticket, waiting))


def encode_beep(addr: int, count: int) -> bytes:
    if not 1 <= count <= 5:
        raise LegacyFrameError(f"beep count {count} not in 1-5")
    return encode_legacy(addr, CMD_BEEP, bytes((count,)))


def render_digits(data: bytes) -> str:
    """Human text of a display frame's six digits, blanks as spaces: '012   5'."""
    chars = [" " if b == BLANK else str(b) if b < 10 else "?" for b in data[:6]]
    return "".join(chars[:3]) + " " + "".join(chars[3:])


class LegacyReceiver(ByteReceiver[LegacyFrame]):
    """Incremental finder of legacy frames; drops noise, bad sums and bad lengths.

    A candidate starts at 0x68 L L 0x68 with L in 2..64; on any failure one byte is
    dropped and the search restarts, so a frame beginning inside a bad one is found.
    """

    def _scan(self, final: bool) -> list[LegacyFrame]:
        frames: list[LegacyFrame] = []
        buf = self._buf
        while buf:
            start = buf.find(START)
            if start < 0:
                self._drop(len(buf))
                break
            if start:
                self._drop(start)
            if len(buf) < 4:
                if final:
                    self._drop(1)
                    continue
                break
            n = buf[1]
            if buf[2] != n or buf[3] != START or not MIN_L <= n <= MAX_DATA + 2:
                self._drop(1)
                continue
            total = 4 + n + 2
            if len(buf) < total:
                if final:
                    self._drop(1)
                    continue
                break
            addr, cmd, data = buf[4], buf[5], bytes(buf[6 : 4 + n])
            if buf[4 + n] != checksum(addr, cmd, data) or buf[total - 1] != END:
                self._drop(1)
                continue
            frames.append(LegacyFrame(addr, cmd, data))
            del buf[:total]
        return frames
