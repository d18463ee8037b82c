"""Decoding recorded evdev key events: Shift, Caps Lock, Enter, human speed, stale lines."""

from __future__ import annotations

import pytest
from evdev import InputEvent, ecodes

from drivers.input import keymap
from drivers.input.decoder import Key, KeyDecoder, LineDecoder, Rejected, Scan
from drivers.input.simulator import pack, typed, unpack

TOKEN = "CQ1.eyJpZCI6IkFQMSJ9.Zm9v-_bar"


def feed_all(decoder: LineDecoder | KeyDecoder, events: list[InputEvent]) -> list[object]:
    out: list[object] = []
    for event in events:
        out += decoder.feed(event)
    return out


@pytest.mark.parametrize(
    "text",
    [TOKEN, "410411199001011234", "11010519491231002X", "482913", "a-B_c!@#$%^&*()+={}[]:;'<>?/|~"],
)
def test_scanner_line_round_trip(text: str) -> None:
    (scan,) = feed_all(LineDecoder(), typed(text))
    assert isinstance(scan, Scan) and scan.text == text and scan.keys == len(text)


def test_shift_on_the_right_side_and_held_over_several_keys() -> None:
    events = [
        InputEvent(1000, 0, ecodes.EV_KEY, ecodes.KEY_RIGHTSHIFT, 1),
        *[
            InputEvent(1000, 1000 * i, ecodes.EV_KEY, code, 1)
            for i, code in enumerate((ecodes.KEY_A, ecodes.KEY_B, ecodes.KEY_1))
        ],
        InputEvent(1000, 5000, ecodes.EV_KEY, ecodes.KEY_RIGHTSHIFT, 0),
        InputEvent(1000, 6000, ecodes.EV_KEY, ecodes.KEY_C, 1),
        InputEvent(1000, 7000, ecodes.EV_KEY, ecodes.KEY_KPENTER, 1),
    ]
    (scan,) = feed_all(LineDecoder(), events)
    assert isinstance(scan, Scan) and scan.text == "AB!c"


def test_caps_lock_flips_letters_only() -> None:
    events = [
        InputEvent(1, 0, ecodes.EV_KEY, ecodes.KEY_CAPSLOCK, 1),
        InputEvent(1, 100, ecodes.EV_KEY, ecodes.KEY_CAPSLOCK, 0),
        *typed("ab1", start=1.001),
    ]
    (scan,) = feed_all(LineDecoder(), events)
    assert isinstance(scan, Scan) and scan.text == "AB1"


def test_key_repeat_types_again_and_release_does_not() -> None:
    events = [
        InputEvent(1, 0, ecodes.EV_KEY, ecodes.KEY_X, 1),
        InputEvent(1, 10, ecodes.EV_KEY, ecodes.KEY_X, 2),
        InputEvent(1, 20, ecodes.EV_KEY, ecodes.KEY_X, 0),
        InputEvent(1, 30, ecodes.EV_KEY, ecodes.KEY_ENTER, 1),
    ]
    (scan,) = feed_all(LineDecoder(), events)
    assert isinstance(scan, Scan) and scan.text == "xx"


def test_human_speed_is_rejected_only_when_configured() -> None:
    slow = typed("482913", gap=0.18)
    (rejected,) = feed_all(LineDecoder(reject_human_speed=True, max_key_gap_ms=60), slow)
    assert rejected == Rejected("human_speed", 6)
    (scan,) = feed_all(LineDecoder(reject_human_speed=False), slow)
    assert isinstance(scan, Scan) and scan.text == "482913"
    fast = typed("482913", gap=0.005)
    (scan,) = feed_all(LineDecoder(reject_human_speed=True, max_key_gap_ms=60), fast)
    assert isinstance(scan, Scan)


def test_one_hiccup_does_not_make_a_scan_human() -> None:
    events = typed("ABCD", start=1.0, gap=0.003, enter=False) + typed("EFGH", start=1.2, gap=0.003)
    (scan,) = feed_all(LineDecoder(reject_human_speed=True), events)
    assert isinstance(scan, Scan) and scan.text == "ABCDEFGH"


def test_too_short_and_stale_partial_lines() -> None:
    dec = LineDecoder(min_length=4)
    assert feed_all(dec, typed("12")) == [Rejected("too_short", 2)]
    stray = typed("zz", start=100.0, enter=False)
    assert feed_all(dec, stray + typed("482913", start=110.0)) == [
        Rejected("stale", 2),
        Scan("482913", 6, pytest.approx(4.0)),  # type: ignore[arg-type]
    ]


def test_unknown_keys_are_counted_not_typed() -> None:
    dec = LineDecoder()
    events = [InputEvent(1, 0, ecodes.EV_KEY, ecodes.KEY_F1, 1), *typed("ok", start=1.001)]
    (scan,) = feed_all(dec, events)
    assert isinstance(scan, Scan) and scan.text == "ok" and dec.unknown_keys == 1


def test_scan_repr_hides_the_content() -> None:
    scan = Scan("410411199001011234", 18, 3.0)
    assert "4104" not in repr(scan) and "18 chars" in repr(scan)


def test_keypad_keys() -> None:
    events = [
        *typed("12", enter=False),
        InputEvent(2, 0, ecodes.EV_KEY, ecodes.KEY_BACKSPACE, 1),
        InputEvent(2, 10, ecodes.EV_KEY, ecodes.KEY_KP7, 1),
        InputEvent(2, 20, ecodes.EV_KEY, ecodes.KEY_KPENTER, 1),
    ]
    assert feed_all(KeyDecoder(), events) == [
        Key("1"),
        Key("2"),
        Key("backspace"),
        Key("7"),
        Key("enter"),
    ]


def test_struct_input_event_round_trip() -> None:
    events = typed("A1")
    again = unpack(pack(events))
    assert [(e.sec, e.usec, e.type, e.code, e.value) for e in again] == [
        (e.sec, e.usec, e.type, e.code, e.value) for e in events
    ]


def test_key_for_unknown_char() -> None:
    with pytest.raises(ValueError, match="no key types"):
        keymap.key_for("中")
