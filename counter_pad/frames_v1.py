"""Protocol v1 messages (contracts/pad-bus.md): encode requests and replies, decode them.

Pure functions, no IO. The framing (CRC, :class:`Frame`, :class:`Receiver`) lives in
:mod:`counter_pad.wire_v1` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from counter_pad import wire_v1

# The framing layer, re-exported: frames_v1 is the one module callers need.
BROADCAST = wire_v1.BROADCAST
MAX_FRAME = wire_v1.MAX_FRAME
MAX_PAYLOAD = wire_v1.MAX_PAYLOAD
OVERHEAD = wire_v1.OVERHEAD
REPLY_BIT = wire_v1.REPLY_BIT
SOF = wire_v1.SOF
Frame = wire_v1.Frame
FrameError = wire_v1.FrameError
Receiver = wire_v1.Receiver
crc16_modbus = wire_v1.crc16_modbus
encode_frame = wire_v1.encode_frame
exact_frame = wire_v1.exact_frame
SeqFrame = wire_v1.SeqFrame
wire_time = wire_v1.wire_time

LINE_BYTES = 16
MAX_EVENTS = 8
MAX_ARG = 8
FLAG_BOOTED = 0x01
FLAG_OVERFLOW = 0x02


class Cmd(IntEnum):
    HELLO = 0x01
    POLL = 0x10
    SHOW = 0x20
    BEEP = 0x21
    EVAL_START = 0x22
    EVAL_CANCEL = 0x23
    INFO = 0x81
    EVENTS = 0x90
    OK = 0xA0
    NAK = 0xFF


class NakCode(IntEnum):
    UNKNOWN_COMMAND = 1
    BAD_LENGTH = 2
    BUSY = 3


class DeviceType(IntEnum):
    CALL_PAD = 1
    EVALUATOR = 2
    COUNTER_DISPLAY = 3


class UnknownCommand(FrameError):
    nak = NakCode.UNKNOWN_COMMAND


class BadLength(FrameError):
    nak = NakCode.BAD_LENGTH


# ---------------------------------------------------------------- text lines


def fit_line(text: str, limit: int = LINE_BYTES) -> bytes:
    """GB18030 bytes of ``text`` cut at a character boundary to at most ``limit`` bytes."""
    out = b""
    for ch in text.replace("\x00", ""):
        enc = ch.encode("gb18030", errors="replace")
        if len(out) + len(enc) > limit:
            break
        out += enc
    return out


def _line(text: str) -> bytes:
    if "\x00" in text:
        raise FrameError("a SHOW line cannot contain NUL")
    raw = text.encode("gb18030")
    if len(raw) > LINE_BYTES:
        raise FrameError(f"SHOW line is {len(raw)} bytes in GB18030, at most {LINE_BYTES}")
    return raw


# ---------------------------------------------------------------- requests (master side)


def encode_hello(addr: int, seq: int) -> bytes:
    return encode_frame(addr, seq, Cmd.HELLO)


def encode_poll(addr: int, seq: int, ack: int, boot: int) -> bytes:
    if not (0 <= ack <= 255 and 0 <= boot <= 0xFFFF):
        raise FrameError(f"bad ACK {ack} or BOOT {boot}")
    return encode_frame(addr, seq, Cmd.POLL, bytes((ack, boot & 0xFF, boot >> 8)))


def encode_show(addr: int, seq: int, line1: str, line2: str) -> bytes:
    return encode_frame(addr, seq, Cmd.SHOW, _line(line1) + b"\x00" + _line(line2))


def encode_beep(addr: int, seq: int, count: int) -> bytes:
    if not 0 <= count <= 5:
        raise FrameError(f"beep count {count} not in 0-5")
    return encode_frame(addr, seq, Cmd.BEEP, bytes((count,)))


def encode_eval_start(addr: int, seq: int, ticket: str) -> bytes:
    if not ticket.isascii() or not ticket:
        raise FrameError(f"ticket must be non-empty ASCII: {ticket!r}")
    return encode_frame(addr, seq, Cmd.EVAL_START, ticket.encode("ascii"))


def encode_eval_cancel(addr: int, seq: int) -> bytes:
    return encode_frame(addr, seq, Cmd.EVAL_CANCEL)


# ---------------------------------------------------------------- decoded messages


@dataclass(frozen=True)
class Hello:
    pass


@dataclass(frozen=True)
class Poll:
    ack: int
    boot: int


@dataclass(frozen=True)
class Show:
    line1: str
    line2: str


@dataclass(frozen=True)
class Beep:
    count: int


@dataclass(frozen=True)
class EvalStart:
    ticket: str


@dataclass(frozen=True)
class EvalCancel:
    pass


@dataclass(frozen=True)
class Info:
    device_type: int
    fw_major: int
    fw_minor: int
    model: str


@dataclass(frozen=True)
class WireEvent:
    number: int
    key: int
    arg: str = ""

    def encode(self) -> bytes:
        raw = self.arg.encode("ascii")
        return bytes((self.number, self.key, len(raw))) + raw


@dataclass(frozen=True)
class Events:
    flags: int
    boot: int
    events: tuple[WireEvent, ...] = ()

    @property
    def booted(self) -> bool:
        return bool(self.flags & FLAG_BOOTED)

    @property
    def overflow(self) -> bool:
        return bool(self.flags & FLAG_OVERFLOW)


@dataclass(frozen=True)
class Ok:
    pass


@dataclass(frozen=True)
class Nak:
    code: int


Request = Hello | Poll | Show | Beep | EvalStart | EvalCancel
Reply = Info | Events | Ok | Nak


def decode_request(frame: Frame) -> Request:
    """Decode a master request; FrameError carries the NAK code to answer with."""
    p = frame.payload
    match frame.cmd:
        case Cmd.HELLO | Cmd.EVAL_CANCEL:
            _need(p, 0)
            return Hello() if frame.cmd == Cmd.HELLO else EvalCancel()
        case Cmd.POLL:
            _need(p, 3)
            return Poll(ack=p[0], boot=p[1] | p[2] << 8)
        case Cmd.SHOW:
            if p.count(0) != 1:
                raise BadLength("SHOW needs two lines separated by one 0x00")
            a, b = p.split(b"\x00")
            if len(a) > LINE_BYTES or len(b) > LINE_BYTES:
                raise BadLength("SHOW line over 16 bytes")
            return Show(a.decode("gb18030", "replace"), b.decode("gb18030", "replace"))
        case Cmd.BEEP:
            _need(p, 1)
            if p[0] > 5:
                raise BadLength(f"beep count {p[0]} over 5")
            return Beep(p[0])
        case Cmd.EVAL_START:
            if not p or not p.isascii():
                raise BadLength("EVAL_START needs an ASCII ticket")
            return EvalStart(p.decode("ascii"))
    raise UnknownCommand(f"unknown command 0x{frame.cmd:02X}")


def _need(payload: bytes, n: int) -> None:
    if len(payload) != n:
        raise BadLength(f"payload of {len(payload)} bytes, expected {n}")


def encode_info(addr: int, seq: int, info: Info) -> bytes:
    payload = bytes((info.device_type, info.fw_major, info.fw_minor)) + info.model.encode("ascii")
    return encode_frame(addr | REPLY_BIT, seq, Cmd.INFO, payload)


def events_payload(flags: int, boot: int, events: list[WireEvent]) -> tuple[bytes, int]:
    """The EVENTS payload holding as many of ``events`` as fit; returns it and the count."""
    body = b""
    count = 0
    for ev in events[:MAX_EVENTS]:
        raw = ev.encode()
        if 4 + len(body) + len(raw) > MAX_PAYLOAD:
            break
        body += raw
        count += 1
    return bytes((flags, boot & 0xFF, boot >> 8, count)) + body, count


def encode_events(addr: int, seq: int, flags: int, boot: int, events: list[WireEvent]) -> bytes:
    payload, _ = events_payload(flags, boot, events)
    return encode_frame(addr | REPLY_BIT, seq, Cmd.EVENTS, payload)


def encode_ok(addr: int, seq: int) -> bytes:
    return encode_frame(addr | REPLY_BIT, seq, Cmd.OK)


def encode_nak(addr: int, seq: int, code: int) -> bytes:
    return encode_frame(addr | REPLY_BIT, seq, Cmd.NAK, bytes((code,)))


def decode_reply(frame: Frame) -> Reply:
    """Decode a device reply. Lenient where harmless (trailing model text), strict on events."""
    p = frame.payload
    match frame.cmd:
        case Cmd.INFO:
            if len(p) < 3:
                raise FrameError("INFO shorter than 3 bytes")
            return Info(p[0], p[1], p[2], p[3:].decode("ascii", "replace"))
        case Cmd.EVENTS:
            return _decode_events(p)
        case Cmd.OK:
            return Ok()
        case Cmd.NAK:
            if len(p) != 1:
                raise FrameError("NAK needs one error code")
            return Nak(p[0])
    raise FrameError(f"unknown reply code 0x{frame.cmd:02X}")


def _decode_events(p: bytes) -> Events:
    if len(p) < 4:
        raise FrameError("EVENTS shorter than 4 bytes")
    flags, boot, count = p[0], p[1] | p[2] << 8, p[3]
    if count > MAX_EVENTS:
        raise FrameError(f"EVENTS COUNT {count} over {MAX_EVENTS}")
    events: list[WireEvent] = []
    i = 4
    for _ in range(count):
        if i + 3 > len(p):
            raise FrameError("EVENTS payload ends inside an event")
        number, key, n = p[i], p[i + 1], p[i + 2]
        if number == 0 or n > MAX_ARG or i + 3 + n > len(p):
            raise FrameError(f"bad event number {number} or ARG length {n}")
        arg = p[i + 3 : i + 3 + n]
        if not arg.isascii():
            raise FrameError("event ARG is not ASCII")
        events.append(WireEvent(number, key, arg.decode("ascii")))
        i += 3 + n
    if i != len(p):
        raise FrameError("bytes after the last event")
    return Events(flags, boot, tuple(events))
