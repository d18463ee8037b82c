"""What a scanned or typed line means for check-in: a signed QR token, an identity number
(matched by keyed hash only), or a 6-digit appointment code. Pure.

The identity number goes in and only its hash comes out: it is not kept, shown or logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hall import tokens

_CODE = re.compile(r"^[0-9]{6}$")
_ID_LIKE = re.compile(r"^[0-9]{15,17}[0-9Xx]?$")


@dataclass(frozen=True)
class CheckInRequest:
    """The ``check_in`` args and how the citizen identified (token, identity, code)."""

    kind: str
    args: dict[str, Any]

    def __repr__(self) -> str:  # args may hold a hash or a code: keep them out of logs
        return f"CheckInRequest({self.kind})"


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


def classify(text: str, keys: Keys, *, now: float) -> CheckInRequest | Problem:
    line = text.strip()
    if tokens.looks_like_token(line):
        if keys.public_key is None:
            return Problem("no_token_key")
        try:  # checked here too, to say at once what is wrong with a bad scan
            tokens.verify_token(line, keys.public_key, now=now)
        except tokens.TokenError as exc:
            return Problem("token", exc.code, exc.message)
        # The hub believes only what it checks itself: it gets the signed text, not claims.
        return CheckInRequest("token", {"token": line})
    if tokens.is_identity_number(line):
        if not keys.hash_key:
            return Problem("no_identity_key")
        return CheckInRequest("identity", {"id_hash": tokens.id_hash(line, keys.hash_key)})
    if _CODE.match(line):
        return CheckInRequest("code", {"code": line})
    if _ID_LIKE.match(tokens.normalize_identity(line)):
        return Problem("bad_identity")
    return Problem("unknown_code")


def describe(text: str, keys: Keys, *, now: float) -> tuple[str, dict[str, Any]]:
    """For the technician's scanner test: a text key and values, never the content."""
    line = text.strip()
    if tokens.looks_like_token(line):
        found = classify(line, keys, now=now)
        if isinstance(found, CheckInRequest):
            return "scan_token_ok", {}
        reason = found.message or found.key
        return "scan_token_bad", {"reason": reason}
    if tokens.is_identity_number(line):
        return "scan_identity", {}
    if _CODE.match(line):
        return "scan_code", {}
    return "scan_other", {"n": len(line)}
