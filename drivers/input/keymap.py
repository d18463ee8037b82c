"""Linux key codes to characters, US layout, as keyboard-wedge scanners and keypads type.

Scanners send the key of each character with Shift for capitals and symbols, so the layout
is the US one whatever the kiosk's own layout. Only the codes scanners and numeric keypads
use are listed; anything else decodes to nothing (and is counted by the decoder).
"""

from __future__ import annotations

from evdev import ecodes as e

EV_KEY: int = e.EV_KEY
SHIFTS: frozenset[int] = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
CAPSLOCK: int = e.KEY_CAPSLOCK
ENTERS: frozenset[int] = frozenset({e.KEY_ENTER, e.KEY_KPENTER})
TAB: int = e.KEY_TAB
BACKSPACE: int = e.KEY_BACKSPACE

# code -> (plain, shifted)
_ROWS: dict[int, tuple[str, str]] = {
    e.KEY_1: ("1", "!"),
    e.KEY_2: ("2", "@"),
    e.KEY_3: ("3", "#"),
    e.KEY_4: ("4", "$"),
    e.KEY_5: ("5", "%"),
    e.KEY_6: ("6", "^"),
    e.KEY_7: ("7", "&"),
    e.KEY_8: ("8", "*"),
    e.KEY_9: ("9", "("),
    e.KEY_0: ("0", ")"),
    e.KEY_MINUS: ("-", "_"),
    e.KEY_EQUAL: ("=", "+"),
    e.KEY_LEFTBRACE: ("[", "{"),
    e.KEY_RIGHTBRACE: ("]", "}"),
    e.KEY_SEMICOLON: (";", ":"),
    e.KEY_APOSTROPHE: ("'", '"'),
    e.KEY_GRAVE: ("`", "~"),
    e.KEY_BACKSLASH: ("\\", "|"),
    e.KEY_COMMA: (",", "<"),
    e.KEY_DOT: (".", ">"),
    e.KEY_SLASH: ("/", "?"),
    e.KEY_SPACE: (" ", " "),
    e.KEY_KP0: ("0", "0"),
    e.KEY_KP1: ("1", "1"),
    e.KEY_KP2: ("2", "2"),
    e.KEY_KP3: ("3", "3"),
    e.KEY_KP4: ("4", "4"),
    e.KEY_KP5: ("5", "5"),
    e.KEY_KP6: ("6", "6"),
    e.KEY_KP7: ("7", "7"),
    e.KEY_KP8: ("8", "8"),
    e.KEY_KP9: ("9", "9"),
    e.KEY_KPDOT: (".", "."),
    e.KEY_KPMINUS: ("-", "-"),
    e.KEY_KPPLUS: ("+", "+"),
    e.KEY_KPASTERISK: ("*", "*"),
    e.KEY_KPSLASH: ("/", "/"),
}
_LETTERS: dict[int, str] = {getattr(e, f"KEY_{c}"): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
LETTER_CODES: frozenset[int] = frozenset(_LETTERS)

# For tests and simulators: the key (and Shift) that types each character.
_BY_CHAR: dict[str, tuple[int, bool]] = {}
for _code, (_plain, _shifted) in _ROWS.items():  # the main row comes first and wins
    _BY_CHAR.setdefault(_plain, (_code, False))
    _BY_CHAR.setdefault(_shifted, (_code, True))
for _code, _letter in _LETTERS.items():
    _BY_CHAR[_letter] = (_code, False)
    _BY_CHAR[_letter.upper()] = (_code, True)


def char_for(code: int, shift: bool, caps: bool = False) -> str | None:
    """The character key ``code`` types with Shift held or not (Caps Lock flips letters)."""
    letter = _LETTERS.get(code)
    if letter is not None:
        return letter.upper() if shift != caps else letter
    row = _ROWS.get(code)
    if row is None:
        return None
    return row[1] if shift else row[0]


def key_for(char: str) -> tuple[int, bool]:
    """The key code and Shift state that type ``char`` (US layout); ``ValueError`` if none."""
    try:
        return _BY_CHAR[char]
    except KeyError:
        raise ValueError(f"no key types {char!r} on a US layout") from None
