"""Golden values and round trips of protocol v1 frame coding."""

from __future__ import annotations

import pytest

from counter_pad import frames_v1 as v1


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_crc_check_value() -> None:
    assert v1.crc16_modbus(b"123456789") == 0x4B37


def test_contract_worked_frame() -> None:
    assert v1.encode_poll(3, 0x11, 0, 0) == h("AA 03 11 10 03 00 00 00 EA C6")
    assert v1.crc16_modbus(h("03 11 10 03 00 00 00")) == 0xC6EA


def test_poll_ack_and_boot_are_little_endian() -> None:
    frame = v1.encode_poll(7, 1, 200, 0x1234)
    assert frame[5:8] == bytes((200, 0x34, 0x12))
    parsed = v1.Receiver().feed(frame)
    assert v1.decode_request(parsed[0]) == v1.Poll(ack=200, boot=0x1234)


def test_request_encoders_decode_back() -> None:
    cases: list[tuple[bytes, v1.Request]] = [
        (v1.encode_hello(1, 2), v1.Hello()),
        (v1.encode_show(1, 2, "A012 办理中", "等候 5 人"), v1.Show("A012 办理中", "等候 5 人")),
        (v1.encode_beep(1, 2, 3), v1.Beep(3)),
        (v1.encode_eval_start(1, 2, "A012"), v1.EvalStart("A012")),
        (v1.encode_eval_cancel(1, 2), v1.EvalCancel()),
    ]
    for raw, want in cases:
        (frame,) = v1.Receiver().feed(raw)
        assert (frame.addr, frame.seq, frame.is_reply) == (1, 2, False)
        assert v1.decode_request(frame) == want


def test_show_payload_is_gb18030_lines_split_by_nul() -> None:
    frame = v1.encode_show(4, 9, "A012 办理中", "暂无等候")
    payload = frame[5:-2]
    assert payload == "A012 办理中".encode("gb18030") + b"\x00" + "暂无等候".encode("gb18030")
    assert frame[4] == len(payload)


def test_show_refuses_long_lines_and_fit_line_cuts_at_characters() -> None:
    with pytest.raises(v1.FrameError):
        v1.encode_show(1, 1, "一二三四五六七八九", "")  # 18 bytes
    assert v1.fit_line("一二三四五六七八九") == "一二三四五六七八".encode("gb18030")
    assert v1.fit_line("ABCDEFGHIJKLMNO中") == b"ABCDEFGHIJKLMNO"  # 中 would make 17
    with pytest.raises(v1.FrameError):
        v1.encode_show(1, 1, "a\x00b", "")


def test_reply_encoders_decode_back() -> None:
    events = [v1.WireEvent(1, 0x01), v1.WireEvent(2, 0x0B, "A012")]
    cases: list[tuple[bytes, v1.Reply]] = [
        (v1.encode_info(3, 5, v1.Info(1, 2, 7, "PAD-X")), v1.Info(1, 2, 7, "PAD-X")),
        (v1.encode_events(3, 5, 1, 0xBEEF, events), v1.Events(1, 0xBEEF, tuple(events))),
        (v1.encode_ok(3, 5), v1.Ok()),
        (v1.encode_nak(3, 5, 2), v1.Nak(2)),
    ]
    for raw, want in cases:
        (frame,) = v1.Receiver().feed(raw)
        assert frame.addr == 0x83 and frame.device == 3 and frame.is_reply
        assert v1.decode_reply(frame) == want


def test_events_golden_bytes() -> None:
    raw = v1.encode_events(3, 0x11, v1.FLAG_BOOTED, 0x0102, [v1.WireEvent(5, 0x09, "12")])
    assert raw[:5] == h("AA 83 11 90 09")
    assert raw[5:-2] == h("01 02 01 01 05 09 02 31 32")


def test_events_payload_fits_at_most_8_events_and_64_bytes() -> None:
    small = [v1.WireEvent(n, 1) for n in range(1, 12)]
    payload, count = v1.events_payload(0, 1, small)
    assert count == 8 and len(payload) == 4 + 8 * 3
    big = [v1.WireEvent(n, 0x0B, "ABCDEFGH") for n in range(1, 9)]
    payload, count = v1.events_payload(0, 1, big)
    assert count == 5 and len(payload) <= 64


@pytest.mark.parametrize(
    "payload",
    [
        h("00 01 00"),  # too short
        h("00 01 00 09"),  # COUNT over 8
        h("00 01 00 01 05 01"),  # event cut short
        h("00 01 00 01 00 01 00"),  # event number 0
        h("00 01 00 01 05 01 09 41 41 41 41 41 41 41 41 41"),  # ARG over 8
        h("00 01 00 01 05 01 00 FF"),  # trailing byte
        h("00 01 00 01 05 01 01 C8"),  # ARG not ASCII
    ],
)
def test_bad_events_are_refused(payload: bytes) -> None:
    with pytest.raises(v1.FrameError):
        v1.decode_reply(v1.Frame(0x81, 1, v1.Cmd.EVENTS, payload))


def test_bad_requests_carry_their_nak_code() -> None:
    with pytest.raises(v1.UnknownCommand) as unknown:
        v1.decode_request(v1.Frame(1, 1, 0x55))
    assert unknown.value.nak == v1.NakCode.UNKNOWN_COMMAND
    with pytest.raises(v1.BadLength):
        v1.decode_request(v1.Frame(1, 1, v1.Cmd.POLL, b"\x00"))
    with pytest.raises(v1.BadLength):
        v1.decode_request(v1.Frame(1, 1, v1.Cmd.SHOW, b"abc"))


def test_encoders_refuse_out_of_range_values() -> None:
    with pytest.raises(v1.FrameError):
        v1.encode_frame(1, 1, 1, bytes(65))
    with pytest.raises(v1.FrameError):
        v1.encode_beep(1, 1, 6)
    with pytest.raises(v1.FrameError):
        v1.encode_eval_start(1, 1, "")


def test_receiver_needs_and_resyncs() -> None:
    rx = v1.Receiver()
    good = v1.encode_poll(3, 0x11, 0, 0)
    assert rx.missing(0) == 5
    assert rx.feed(good[:3]) == [] and rx.missing(0) == 2
    assert rx.missing(len(good)) == 7  # the shortest reply known: all of it, not a header
    assert rx.feed(good[3:6]) == [] and rx.missing(0) == 4
    assert rx.missing(99) == 4  # once the header is in, its LEN decides
    assert rx.feed(good[6:]) == [v1.Frame(3, 0x11, 0x10, bytes(3))]
    bad = bytearray(good)
    bad[-1] ^= 1
    # the second 0xAA makes a fake header (LEN 0x10) that waits; the gap ends it
    frames = rx.feed(b"\x00\xaa\xaa" + bytes(bad) + good) + rx.abort()
    assert frames == [v1.Frame(3, 0x11, 0x10, bytes(3))]
    assert rx.feed(bytes(bad) + good) == [v1.Frame(3, 0x11, 0x10, bytes(3))]
    assert rx.feed(b"\xaa\x01\x01\x01\x41") == []  # LEN 65: dropped at once
    assert not rx.pending


def test_receiver_abort_salvages_complete_frames() -> None:
    rx = v1.Receiver()
    good = v1.encode_hello(2, 1)
    assert rx.feed(b"\xaa\x01\x02\x03\x40" + good) == []  # a fake header waits for 71 bytes
    assert rx.abort() == [v1.Frame(2, 1, 1)]
    assert not rx.pending
