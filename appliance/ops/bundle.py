"""The city's provisioning bundle: format, signature, contents (docs/TECHNICIAN.md).

contracts/city-cloud.md does not define one, so the project does, in the style of the
city's appointment tokens: one line of text that fits a file or a QR code,

    HP1.<base64url(zlib(payload JSON))>.<base64url(Ed25519 signature of the payload JSON)>

signed with the city's provisioning key, whose public half the box trusts from
/etc/hall/trust/provisioning.pub (installed with the software). The signature covers the
uncompressed UTF-8 JSON bytes exactly as sent, so no canonical JSON is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PREFIX = "HP1."
MAX_PAYLOAD = 256 * 1024
ROLES = ("hub", "kiosk", "display", "pads", "sync")
HALL_ID = re.compile(r"^\d{6}-[A-Z0-9]{1,12}$")
DEFAULT_TRUST = Path("/etc/hall/trust/provisioning.pub")


class BundleError(ValueError):
    """A bundle that cannot be read (malformed=True) or that is refused."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


class _Lenient(BaseModel):
    # The city may add fields later: unknown ones are ignored, known ones are strict.
    model_config = ConfigDict(extra="ignore", frozen=True)


class CityLink(_Lenient):
    broker_url: str = Field(description="mqtts://host:8883")
    ca_pem: str = Field(description="The city CA, PEM")
    cert_pem: str = Field(description="The hall's client certificate (CN = hall id), PEM")
    key_pem: str = Field(description="Its private key, unencrypted PEM")


class Counter(_Lenient):
    id: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,8}$")]
    name: str = ""
    services: list[str] = Field(min_length=1)


class Payload(_Lenient):
    v: Literal[1]
    kind: Literal["hall-provisioning"]
    bundle_id: str = Field(min_length=1, max_length=64)
    issued_at: datetime
    expires_at: datetime | None = None
    hall_id: str
    hall_name: str = Field(min_length=1, max_length=40)
    timezone: str = "Asia/Shanghai"
    roles: list[Literal["hub", "kiosk", "display", "pads", "sync"]] = Field(min_length=1)
    bus_host: str = "127.0.0.1"
    bus_port: int = Field(1883, ge=1, le=65535)
    ids: dict[Literal["kiosk", "display", "pads", "sync"], str] = Field(default_factory=dict)
    city: CityLink | None = None
    token_public_key: str = Field(
        "",
        description="The city's Ed25519 key for QR tokens: PEM SubjectPublicKeyInfo, or base64 "
        "of the raw 32 bytes (checked by provisioning)",
    )
    id_hash_key: str = Field(
        "",
        description="The identity-hash key: 64 lowercase hex characters as the city gives it, "
        "or base64 of the same 32 bytes (checked by provisioning)",
    )
    catalog: dict[str, Any] | None = None
    counters: list[Counter] = Field(default_factory=list)

    @field_validator("hall_id")
    @classmethod
    def _hall_id(cls, v: str) -> str:
        if not HALL_ID.match(v):
            raise ValueError("must look like 410411-ZH01")
        return v

    @field_validator("issued_at", "expires_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a UTC offset (RFC 3339)")
        return v

    @field_validator("roles")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a role is listed twice")
        return v


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict[str, Any], key: ed25519.Ed25519PrivateKey) -> str:
    """The bundle text for ``payload`` (the city's side; used by the tests and tools)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PREFIX + _b64url(zlib.compress(body, 9)) + "." + _b64url(key.sign(body))


def split(text: str) -> tuple[bytes, bytes]:
    """(payload JSON bytes, signature) from the bundle text; BundleError when malformed."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise BundleError(
            f"not a provisioning bundle: it should start with {PREFIX!r} "
            "(a file from the city, or the text of its QR code)",
            malformed=True,
        )
    parts = text[len(PREFIX) :].split(".")
    if len(parts) != 2:
        raise BundleError("bundle damaged: expected HP1.<payload>.<signature>", malformed=True)
    try:
        packed, sig = _unb64url(parts[0]), _unb64url(parts[1])
        inflater = zlib.decompressobj()
        body = inflater.decompress(packed, MAX_PAYLOAD + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise BundleError(
            "bundle damaged (bad base64 or compression): scan or copy it again", malformed=True
        ) from None
    if len(body) > MAX_PAYLOAD or not inflater.eof:
        raise BundleError("bundle too large or truncated", malformed=True)
    return body, sig


def load_trust(path: Path) -> list[ed25519.Ed25519PublicKey]:
    """The city's provisioning public keys: PEM, or base64 of raw keys one a line (#: note)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(
            f"no trusted provisioning key at {path}: install the city's key there "
            "(deploy/install.sh --trust FILE) or give --trust FILE"
        ) from None
    keys: list[ed25519.Ed25519PublicKey] = []
    if "-----BEGIN" in text:
        for block in re.findall(
            r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", text, re.S
        ):
            key = serialization.load_pem_public_key(block.encode("ascii"))
            if isinstance(key, ed25519.Ed25519PublicKey):
                keys.append(key)
    else:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                keys.append(ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(line)))
            except ValueError:
                raise BundleError(f"{path}: '{line[:20]}…' is not an Ed25519 public key") from None
    if not keys:
        raise BundleError(f"{path}: no Ed25519 public key in it")
    return keys


def verify(text: str, trusted: list[ed25519.Ed25519PublicKey]) -> Payload:
    """The bundle's payload if its signature is good under a trusted key; else BundleError."""
    body, sig = split(text)
    for key in trusted:
        try:
            key.verify(sig, body)
            break
        except InvalidSignature:
            continue
    else:
        raise BundleError(
            "the bundle's signature is not valid under the city's provisioning key: it was "
            "changed, damaged, or not made by the city. Ask the city for the bundle again"
        )
    try:
        raw = json.loads(body.decode("utf-8"))
        return Payload.model_validate(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError("the bundle's content is not JSON", malformed=True) from None
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise BundleError(f"the bundle's content is not valid: {where}", malformed=True) from None


def read_source(source: str) -> str:
    """The bundle text from ``source``: the text itself (a scanned QR code), '-' for stdin,
    or a file's path."""
    import sys

    if source.strip().startswith(PREFIX):
        return source
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{source}: no such file (and not bundle text)", malformed=True) from None
    except UnicodeDecodeError:
        raise BundleError(f"{source}: not a text file", malformed=True) from None
