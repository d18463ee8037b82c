"""What a scanned or typed line means for check-in: a signed QR token (an appointment's, or
a remote ticket's: 云叫号, `"kind": "ticket"`), an identity number (matched by keyed hash
only), or a 6-digit appointment code. Pure.

The identity number goes in and only its hash comes out: it is not kept, shown or logged.
A ticket number typed with the phone's last four digits becomes ``mark_arrived`` args here
too (``typed_arrival``), padded to the hall's number width as the hub writes numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hall import tokens

_CODE = re.compile(r"^[0-9]{6}$")
_ID_LIKE = re.compile(r"^[0-9]{15,17}[0-9Xx]?$")
TAIL_LENGTH = 4  # the phone's last four digits


@dataclass(frozen=True)
class CheckInRequest:
    """The ``check_in`` args and how the citizen identified (token, identity, code)."""

    kind: str
    args: dict[str, Any]

    def __repr__(self) -> str:  # args may hold a hash or a code: keep them out of logs
        return f"CheckInRequest({self.kind})"


@dataclass(frozen=True)
class ArrivalRequest:
    """The ``mark_arrived`` args of a remote ticket's citizen at the kiosk: ``how`` "scan"
    with the token's signed text, or "kiosk" with the number and the phone's last four."""

    args: dict[str, Any]

    def __repr__(self) -> str:  # the phone tail is personal enough: keep it out of logs
        return f"ArrivalRequest({self.args.get('how')})"


@dataclass(frozen=True)
class Problem:
    """Why the line cannot be used; ``key`` is a kiosk text (kiosk.texts) or a token code."""

    key: str
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Keys:
    public_key: Ed25519PublicKey | None
    hash_key: bytes | None


Found = CheckInRequest | ArrivalRequest | Problem


def _token(line: str, key: Ed25519PublicKey, now: float) -> Found:
    """An appointment's token, else a remote ticket's. Checked here too, to say at once what
    is wrong with a bad scan; the hub believes only what it checks itself, so it gets the
    signed text, never the claims. ``Problem("ticket_token", …)``: a ticket's token that
    cannot be used (its words are the arrival's, kiosk.texts.ARRIVAL_REFUSALS)."""
    try:
        tokens.verify_token(line, key, now=now)
        return CheckInRequest("token", {"token": line})
    except tokens.TokenError as exc:
        if exc.code != "token_malformed":  # a bad signature or expired: that is the answer
            return Problem("token", exc.code, exc.message)
    try:  # signed, but not an appointment's
        tokens.verify_ticket_token(line, key, now=now)
    except tokens.TokenError as exc:
        kind = "ticket_token" if exc.code == "token_expired" else "token"
        return Problem(kind, exc.code, exc.message)
    return ArrivalRequest({"how": "scan", "token": line})


def classify(text: str, keys: Keys, *, now: float) -> Found:
    line = text.strip()
    if tokens.looks_like_token(line):
        if keys.public_key is None:
            return Problem("no_token_key")
        return _token(line, keys.public_key, now)
    if tokens.is_identity_number(line):
        return _identity(line, keys)
    if _CODE.match(line):
        return CheckInRequest("code", {"code": line})
    if _ID_LIKE.match(tokens.normalize_identity(line)):
        return Problem("bad_identity")
    return Problem("unknown_code")


def _identity(line: str, keys: Keys) -> Found:
    if not keys.hash_key:
        return Problem("no_identity_key")
    return CheckInRequest("identity", {"id_hash": tokens.id_hash(line, keys.hash_key)})


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def typed_arrival(number: str, tail: str, width: int) -> ArrivalRequest | Problem:
    """A ticket number typed as its letter and digits ("A45" → "A045" at width 3) and the
    phone's last four digits, or the text key of what is missing."""
    letter, digits = number[:1].upper(), number[1:]
    letter = letter if letter.isascii() else ""
    if not (letter.isalpha() and _digits(digits)) or len(digits) > 6:
        return Problem("arrival_number_incomplete")
    if len(tail) != TAIL_LENGTH or not _digits(tail):
        return Problem("arrival_tail_incomplete")
    full = letter + digits.zfill(width)
    return ArrivalRequest({"how": "kiosk", "number": full, "phone_tail": tail})


def describe(text: str, keys: Keys, *, now: float) -> tuple[str, dict[str, Any]]:
    """For the technician's scanner test: a text key and values, never the content."""
    line = text.strip()
    if tokens.looks_like_token(line):
        found = classify(line, keys, now=now)
        if isinstance(found, ArrivalRequest):
            return "scan_ticket_token_ok", {}
        if isinstance(found, CheckInRequest):
            return "scan_token_ok", {}
        reason = found.message or found.key
        return "scan_token_bad", {"reason": reason}
    if tokens.is_identity_number(line):
        return "scan_identity", {}
    if _CODE.match(line):
        return "scan_code", {}
    return "scan_other", {"n": len(line)}
