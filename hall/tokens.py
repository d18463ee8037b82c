"""Appointment QR tokens and identity-number hashes (contracts/city-cloud.md), pure.

- A token is ``CQ1.`` + base64url(JSON claims) + ``.`` + base64url(Ed25519 signature of those
  exact JSON bytes) under the city's public key. Claims: ``id``, ``hall``, ``service``,
  ``date``, ``slot_start``, ``slot_end``, ``exp``. ``verify_token`` checks the signature
  first and reads the JSON only after, so nothing unsigned is ever believed. The contract does
  not say what ``exp`` is: we accept an RFC 3339 time (the contract's time format) or epoch
  seconds. Whether the hall and date are this hall's and today is the hub's to decide (it has
  the hall's time and the refusal texts); the kiosk checks the signature, the form and ``exp``.
- An identity number is matched by ``id_hash``: lowercase hex HMAC-SHA256 of the upper-case
  number under the city's key. The number itself is never stored, shown, logged or sent;
  ``is_identity_number`` checks the GB 11643 check digit so that a misread is refused before
  it is hashed.

Keys (contract v1.1): the city's public key is PEM SubjectPublicKeyInfo, or base64 (or
base64url) of the raw 32 bytes; the identity-hash key is 32 bytes, written as 64 lowercase hex
characters as the city gives it, or as base64 of the same bytes (whitespace ignored, a
PEM-like file too: only the key's text counts). `hash_key_from_text` and `load_public_key`
take either form, so provisioning and the kiosk read the same.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "CQ1."
CLAIMS = ("id", "hall", "service", "date", "slot_start", "slot_end", "exp")
MAX_TOKEN = 2048

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class TokenError(ValueError):
    """A token that cannot be used: ``code`` for software, ``message`` in Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class KeyConfigError(ValueError):
    """A key in the configuration that cannot be read (the message says which and why)."""


@dataclass(frozen=True)
class Token:
    """A verified token's claims, as the hub's ``check_in {token}`` takes them."""

    claims: dict[str, Any]

    @property
    def appointment_id(self) -> str:
        return str(self.claims["id"])


def looks_like_token(text: str) -> bool:
    return text.strip().startswith(PREFIX)


def _b64decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("token_malformed", "二维码无法识别") from None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """The city's Ed25519 public key from PEM SubjectPublicKeyInfo, or base64/base64url of
    the raw 32 bytes."""
    text = text.strip()
    if not text:
        raise KeyConfigError("no city public key configured (kiosk.city_public_key)")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as exc:
            raise KeyConfigError(f"city public key: not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyConfigError("city public key: PEM key is not Ed25519")
        return key
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyConfigError("city public key: not base64") from None
    if len(raw) != 32:
        raise KeyConfigError(f"city public key: {len(raw)} bytes, an Ed25519 key has 32")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The config form of a public key (base64 of the raw bytes)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _expiry(value: Any) -> float:
    if isinstance(value, bool):
        raise TokenError("token_malformed", "二维码内容不完整")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise TokenError("token_malformed", "二维码内容不完整") from None
        if when.tzinfo is None:
            raise TokenError("token_malformed", "二维码内容不完整")
        return when.timestamp()
    raise TokenError("token_malformed", "二维码内容不完整")


def _signed_claims(text: str, key: Ed25519PublicKey) -> dict[str, Any]:
    """The JSON object a ``CQ1`` token carries, once its signature checked out."""
    text = text.strip()
    if len(text) > MAX_TOKEN or not text.startswith(PREFIX):
        raise TokenError("token_malformed", "二维码无法识别")
    parts = text[len(PREFIX) :].split(".")
    if len(parts) != 2 or not all(parts):
        raise TokenError("token_malformed", "二维码无法识别")
    body, signature = _b64decode(parts[0]), _b64decode(parts[1])
    try:
        key.verify(signature, body)
    except InvalidSignature:
        raise TokenError(
            "token_invalid", "二维码校验未通过，请出示城市预约平台发送的二维码"
        ) from None
    try:
        claims = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TokenError("token_malformed", "二维码内容不完整") from None
    if not isinstance(claims, dict):
        raise TokenError("token_malformed", "二维码内容不完整")
    return claims


def verify_token(text: str, key: Ed25519PublicKey, *, now: float) -> Token:
    """The claims of a valid, unexpired appointment token signed by ``key``; else
    ``TokenError``."""
    claims = _signed_claims(text, key)
    if claims.get("kind", "appointment") != "appointment" or any(k not in claims for k in CLAIMS):
        raise TokenError("token_malformed", "二维码内容不完整")
    text_fields = ("id", "hall", "service", "date", "slot_start", "slot_end")
    if not all(isinstance(claims[k], str) and claims[k] for k in text_fields):
        raise TokenError("token_malformed", "二维码内容不完整")
    if not _DATE.match(claims["date"]) or not all(
        _HHMM.match(claims[k]) for k in ("slot_start", "slot_end")
    ):
        raise TokenError("token_malformed", "二维码内容不完整")
    if _expiry(claims["exp"]) < now:
        raise TokenError("token_expired", "二维码已过期，请在手机上刷新后再扫")
    return Token({k: claims[k] for k in CLAIMS})


TICKET_CLAIMS = ("kind", "ticket_id", "hall", "date", "exp")


def verify_ticket_token(text: str, key: Ed25519PublicKey, *, now: float) -> dict[str, Any]:
    """The claims of a remote ticket's token (contract v1.1: `"kind":"ticket"`, ticket_id,
    hall, date, exp; the city signs one for every ok ticket-result under the appointment
    tokens' key); else ``TokenError``."""
    claims = _signed_claims(text, key)
    if claims.get("kind") != "ticket" or any(k not in claims for k in TICKET_CLAIMS):
        raise TokenError("token_malformed", "二维码内容不完整")
    if not all(isinstance(claims[k], str) and claims[k] for k in ("ticket_id", "hall", "date")):
        raise TokenError("token_malformed", "二维码内容不完整")
    if _expiry(claims["exp"]) < now:
        raise TokenError("token_expired", "二维码已过期，请在手机上刷新后再扫")
    return {k: claims[k] for k in TICKET_CLAIMS}


def sign_token(claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """A token for ``claims`` (what the city issues; for tests, the demo and simulators)."""
    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PREFIX + _b64encode(body) + "." + _b64encode(key.sign(body))


# --- identity numbers ----------------------------------------------------------------------


def normalize_identity(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


def is_identity_number(text: str) -> bool:
    """True for an 18-character resident identity number with a correct check digit."""
    number = normalize_identity(text)
    if not _ID18.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17]


def id_hash(number: str, key: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the upper-case identity number under the city's key."""
    if not key:
        raise KeyConfigError("no identity-hash key configured (kiosk.id_hash_key_file)")
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(normalize_identity(number).encode("ascii"))
    return mac.finalize().hex()


HASH_KEY_BYTES = 32
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def hash_key_from_text(text: str) -> bytes:
    """The identity-hash key from the city's text: 64 hex characters (the contract's form),
    or base64 of the same 32 bytes. KeyConfigError says which forms are taken."""
    compact = "".join(text.split())
    if _HEX_KEY.match(compact):
        return bytes.fromhex(compact)
    if _HEX.match(compact):  # never base64 of 32 bytes (that ends in '=')
        raise KeyConfigError(
            f"{len(compact)} hex characters; the city's identity-hash key has 64 (32 bytes)"
        )
    try:
        key = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(
            "not base64 of the 32-byte key, nor 64 hex characters (the city's form)"
        ) from None
    if len(key) != HASH_KEY_BYTES:
        raise KeyConfigError(
            f"{len(key)} bytes; the city's identity-hash key has {HASH_KEY_BYTES} "
            "(64 hex characters)"
        )
    return key


def load_hash_key(path: Path) -> bytes:
    """The identity-hash key from a file holding it as 64 hex characters or base64 text."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyConfigError(f"identity-hash key file {path}: cannot read ({exc})") from None
    try:
        return hash_key_from_text(text)
    except KeyConfigError as exc:
        raise KeyConfigError(f"identity-hash key file {path}: {exc}") from None
