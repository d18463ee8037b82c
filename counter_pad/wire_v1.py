"""Protocol v1 framing (contracts/pad-bus.md): CRC, frames and the receiver. Pure, no IO.

Frame: ``AA ADDR SEQ CMD LEN PAYLOAD CRC_lo CRC_hi`` with CRC-16/MODBUS over ADDR..PAYLOAD.
The messages inside frames are in :mod:`counter_pad.frames_v1`, which re-exports this.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_pad.receiver import ByteReceiver

SOF = 0xAA
MAX_PAYLOAD = 64
HEADER = 5  # SOF ADDR SEQ CMD LEN
OVERHEAD = 7  # header + CRC
MAX_FRAME = MAX_PAYLOAD + OVERHEAD
REPLY_BIT = 0x80
BROADCAST = 0


class FrameError(ValueError):
    """A frame or payload that does not follow the contract."""


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), table-driven."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True)
class Frame:
    addr: int  # as on the wire: replies carry bit 7
    seq: int
    cmd: int
    payload: bytes = b""

    @property
    def is_reply(self) -> bool:
        return bool(self.addr & REPLY_BIT)

    @property
    def device(self) -> int:
        return self.addr & 0x7F

    def encode(self) -> bytes:
        return encode_frame(self.addr, self.seq, self.cmd, self.payload)


def encode_frame(addr: int, seq: int, cmd: int, payload: bytes = b"") -> bytes:
    if not (0 <= addr <= 0xFF and 0 <= seq <= 0xFF and 0 <= cmd <= 0xFF):
        raise FrameError(f"header byte out of range: addr={addr} seq={seq} cmd={cmd}")
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((addr, seq, cmd, len(payload))) + payload
    crc = crc16_modbus(body)
    return bytes((SOF,)) + body + bytes((crc & 0xFF, crc >> 8))


def _seq_deltas(after: int) -> tuple[int, ...]:
    """What a SEQ byte followed by ``after`` more body bytes adds to a body's CRC.

    CRC-16/MODBUS is affine: for bodies of one length, crc(a) ^ crc(b) ^ crc(c) is the
    CRC of a ^ b ^ c. So the CRC of a body with SEQ = s is the CRC of the same body with
    SEQ = 0, XOR crc(0, s, 0…) XOR crc(0, 0, 0…)."""
    zero = crc16_modbus(bytes(2 + after))
    return tuple(crc16_modbus(bytes((0, s)) + bytes(after)) ^ zero for s in range(256))


_SEQ_DELTAS: dict[int, tuple[int, ...]] = {}


class SeqFrame:
    """One frame for every SEQ: the same ADDR, CMD and PAYLOAD (a device's POLL while its
    ACK and BOOT stay, the empty EVENTS reply it keeps sending). :meth:`frame` builds it
    with one table look-up for the CRC; the bus master polls a few hundred times a second.
    """

    def __init__(self, addr: int, cmd: int, payload: bytes = b"") -> None:
        encode_frame(addr, 0, cmd, payload)  # checks the fields
        self.addr, self.cmd, self.payload = addr, cmd, payload
        after = len(payload) + 2  # CMD, LEN, PAYLOAD follow SEQ
        deltas = _SEQ_DELTAS.get(after)
        if deltas is None:
            deltas = _SEQ_DELTAS[after] = _seq_deltas(after)
        self._deltas = deltas
        self._crc0 = crc16_modbus(bytes((addr, 0, cmd, len(payload))) + payload)
        self._tail = bytes((cmd, len(payload))) + payload

    def frame(self, seq: int) -> bytes:
        crc = self._crc0 ^ self._deltas[seq]
        return bytes((SOF, self.addr, seq)) + self._tail + bytes((crc & 0xFF, crc >> 8))


def exact_frame(data: bytes) -> Frame | None:
    """``data`` decoded if it is exactly one good frame, else None (then feed a
    :class:`Receiver`). A reply read whole in one go, the common case, costs one CRC."""
    n = len(data)
    if n < OVERHEAD or data[0] != SOF or data[4] + OVERHEAD != n:
        return None
    if crc16_modbus(data[1 : n - 2]) != data[n - 2] | data[n - 1] << 8:
        return None
    return Frame(data[1], data[2], data[3], data[5 : n - 2])


def wire_time(n_bytes: float, baud: int) -> float:
    """Seconds that n bytes take on the line at 8N1 (10 bits a byte)."""
    return n_bytes * 10 / baud


class Receiver(ByteReceiver[Frame]):
    """Incremental frame finder: feed byte chunks, get complete frames with a good CRC.

    Bad CRCs, LEN over 64 and noise are dropped; on any failure only the SOF byte is
    discarded and the search restarts at the next 0xAA, so a good frame that begins inside
    a bad one is still found. The link calls :meth:`abort` after an inter-byte gap.
    """

    def __init__(self) -> None:
        super().__init__()
        self.bad_crc = 0  # complete frames whose CRC did not match

    def missing(self, shortest: int = 0) -> int:
        """Bytes still missing from the frame being received (a whole header if none),
        known to be at least ``shortest`` bytes long (the shortest reply the request can
        get) until its header, and with it its length, is in."""
        buf = self._buf
        if len(buf) < HEADER:
            return max(HEADER, shortest) - len(buf)
        return max(1, buf[4] + OVERHEAD - len(buf))

    def _scan(self, final: bool) -> list[Frame]:
        frames: list[Frame] = []
        buf = self._buf
        while buf:
            start = buf.find(SOF)
            if start < 0:
                self._drop(len(buf))
                break
            if start:
                self._drop(start)
            if len(buf) < HEADER:
                if final:
                    self._drop(1)
                    continue
                break
            length = buf[4]
            if length > MAX_PAYLOAD:
                self._drop(1)
                continue
            total = length + OVERHEAD
            if len(buf) < total:
                if final:
                    self._drop(1)
                    continue
                break
            body = bytes(buf[1 : total - 2])
            if crc16_modbus(body) != buf[total - 2] | buf[total - 1] << 8:
                self.bad_crc += 1
                self._drop(1)
                continue
            frames.append(Frame(body[0], body[1], body[2], body[4:]))
            del buf[:total]
        return frames
