"""Golden values of the legacy profile and its key-sequence interpreter."""

from __future__ import annotations

import pytest

from counter_pad import frames_legacy as fl
from counter_pad.keys import Key, KeyPress
from counter_pad.legacy_keys import LegacyKeyInterpreter, Rejected


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_key_frame_golden() -> None:
    # L = 3 (ADDR, CMD, one data byte); CS = 0x01 + 0x01 + 0x0C
    assert fl.encode_key(1, fl.KEY_CALL) == h("FF 68 03 03 68 01 01 0C 0E 16")


def test_display_frame_golden() -> None:
    raw = fl.encode_display(5, "A012", 7)
    assert raw == h("FF 68 08 08 68 05 02 00 01 02 0A 0A 07") + bytes(
        (0x25, 0x16)
    )  # 5+2+0+1+2+10+10+7 = 0x25
    assert sum(raw[5:-2]) & 0xFF == raw[-2]


def test_checksum_wraps_mod_256() -> None:
    raw = fl.encode_legacy(0xF0, 0x02, bytes((0x09, 0x09, 0x09, 0x0A, 0x0A, 0x0A)))
    assert raw[-2] == (0xF0 + 0x02 + 27 + 30) & 0xFF


@pytest.mark.parametrize(
    ("ticket", "waiting", "digits"),
    [
        ("A012", 5, "00 01 02 0A 0A 05"),
        ("B1234", 1234, "02 03 04 09 09 09"),  # last three digits, count clamped to 999
        ("7", 0, "00 00 07 0A 0A 00"),
        (None, None, "0A 0A 0A 0A 0A 0A"),
        ("C", 45, "0A 0A 0A 0A 04 05"),
        ("A001", -3, "00 00 01 0A 0A 00"),
    ],
)
def test_display_digits(ticket: str | None, waiting: int | None, digits: str) -> None:
    assert fl.display_digits(ticket, waiting) == h(digits)


def test_render_digits() -> None:
    assert fl.render_digits(fl.display_digits("A012", 5)) == "012   5"


def test_beep_and_limits() -> None:
    assert fl.encode_beep(2, 2) == h("FF 68 03 03 68 02 03 02 07 16")
    with pytest.raises(fl.LegacyFrameError):
        fl.encode_beep(2, 0)
    with pytest.raises(fl.LegacyFrameError):
        fl.encode_legacy(1, 1, bytes(63))


def test_receiver_accepts_with_or_without_preamble_and_echo_is_identical() -> None:
    rx = fl.LegacyReceiver()
    frame = fl.encode_key(3, fl.KEY_RECALL)
    (got,) = rx.feed(frame[1:])
    assert got == fl.LegacyFrame(3, fl.CMD_KEY, b"\x0d") and got.key_code == fl.KEY_RECALL
    assert got.encode() == frame
    bad = bytearray(frame)
    bad[-2] ^= 0xFF
    assert rx.feed(bytes(bad)) == [] and not rx.pending
    wrong_end = frame[:-1] + b"\x17"
    assert rx.feed(wrong_end + frame) == [got]


def press_all(codes: list[int], start: float = 0.0) -> list[KeyPress | Rejected]:
    it = LegacyKeyInterpreter()
    out = []
    for i, code in enumerate(codes):
        result = it.press(code, start + i * 0.5)
        if result is not None:
            out.append(result)
    return out


@pytest.mark.parametrize(
    ("codes", "want"),
    [
        ([0x0C], KeyPress(Key.CALL_NEXT)),
        ([0, 1, 2, 0x0C], KeyPress(Key.CALL_NUMBER, "012")),
        ([0x0D], KeyPress(Key.RECALL)),
        ([0x0B], KeyPress(Key.EVAL_REQUEST)),
        ([0x12], KeyPress(Key.PAUSE)),
        ([3, 0x13], KeyPress(Key.TRANSFER, "3")),
        ([6, 0x0F], KeyPress(Key.SKIP)),
        ([0, 0x0F], KeyPress(Key.HOLD)),
        ([3, 0x0F], KeyPress(Key.CALL_BACK)),
        ([1, 0x0F], KeyPress(Key.START)),
        ([2, 0x0F], KeyPress(Key.FINISH)),
        ([4, 0x0F], KeyPress(Key.RESUME)),
        ([5, 0x0F], KeyPress(Key.LOGOUT)),
        ([1, 2, 3, 4, 0x0F], KeyPress(Key.LOGIN, "1234")),
        ([0, 0, 7, 0x0F], KeyPress(Key.LOGIN, "007")),
    ],
)
def test_key_sequences(codes: list[int], want: KeyPress) -> None:
    assert press_all(codes) == [want]


@pytest.mark.parametrize(
    "codes",
    [
        [0x13],  # transfer without target
        [7, 0x0F],  # unassigned function
        [1, 2, 0x0F],  # two digits: neither a function nor a staff number
        [0x0F],
        [5, 0x0D],  # digits before recall
        [5, 0x12],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0C],  # over eight digits
        [0x30],  # unknown code
    ],
)
def test_refused_sequences(codes: list[int]) -> None:
    (result,) = press_all(codes)
    assert isinstance(result, Rejected)


def test_cancel_clears_digits_and_digits_expire() -> None:
    assert press_all([1, 2, 0x0E, 0x0C]) == [KeyPress(Key.CALL_NEXT)]
    it = LegacyKeyInterpreter(digit_timeout=10)
    assert it.press(4, 0.0) is None and it.typed == "4"
    assert it.press(0x0C, 11.0) == KeyPress(Key.CALL_NEXT)


def test_refusal_clears_state() -> None:
    assert press_all([5, 0x0D, 0x0C]) == [
        Rejected("digits 5 before key 0x0D"),
        KeyPress(Key.CALL_NEXT),
    ]
