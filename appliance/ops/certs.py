"""The hall's TLS material for the city link: checks shared by provisioning and the doctor.

The city's broker maps the client certificate's CN to the hall id (contracts/city-cloud.md),
so the certificate must name this hall, be issued by the city CA given with it, match its
private key and be valid now. "Now" is never earlier than a trusted floor (the bundle's
signed issue time): a box that boots in 1970 still sees a certificate that had expired
before the bundle was made.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from hall import tokens

WARN_DAYS = 30


class CertError(ValueError):
    """Material that cannot be used; the message says what and what to do."""


@dataclass(frozen=True)
class CertInfo:
    subject_cn: str
    issuer_cn: str
    not_before: datetime
    not_after: datetime
    serial: int

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400


def _cn(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def load_certs(pem: bytes, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise CertError(f"{what}: not a PEM certificate") from None
    if not certs:
        raise CertError(f"{what}: no certificate in it")
    return certs


def info(cert: x509.Certificate) -> CertInfo:
    return CertInfo(
        subject_cn=_cn(cert.subject),
        issuer_cn=_cn(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial=cert.serial_number,
    )


def check_client_cert(
    cert_pem: bytes,
    key_pem: bytes | None,
    ca_pem: bytes | None,
    hall_id: str,
    now: datetime,
    *,
    clock_trusted: bool = True,
) -> CertInfo:
    """Check the hall's client certificate; return what it says or raise CertError."""
    cert = load_certs(cert_pem, "client certificate")[0]
    ci = info(cert)
    if ci.subject_cn != hall_id:
        raise CertError(
            f"the client certificate is for '{ci.subject_cn}', not this hall '{hall_id}' "
            "(the city's broker knows a hall by its certificate's CN)"
        )
    if now > ci.not_after:
        raise CertError(
            f"the client certificate expired on {ci.not_after:%Y-%m-%d %H:%M} UTC: "
            "ask the city for a new provisioning bundle"
        )
    if clock_trusted and now < ci.not_before:
        raise CertError(
            f"the client certificate is valid only from {ci.not_before:%Y-%m-%d %H:%M} UTC: "
            "check the box's clock, or wait"
        )
    if ca_pem is not None:
        cas = load_certs(ca_pem, "city CA")
        if not any(_issued_by(cert, ca) for ca in cas):
            raise CertError(
                f"the client certificate (issuer '{ci.issuer_cn}') is not signed by the city CA "
                "given with it"
            )
    if key_pem is not None:
        key = load_key(key_pem)
        if key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise CertError("the private key does not belong to the client certificate")
    return ci


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def load_key(pem: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CertError(
            "the client key is not an unencrypted PEM private key (the service cannot type a "
            "passphrase)"
        ) from None


def check_ed25519_public(text: str, what: str = "the city's public key for tokens") -> bytes:
    """The city's Ed25519 token key, raw: given as PEM SubjectPublicKeyInfo or as base64 of
    the raw 32 bytes (contract v1.1)."""
    try:
        key = tokens.load_public_key(text)
    except tokens.KeyConfigError as exc:
        raise CertError(f"{what}: {str(exc).removeprefix('city public key: ')}") from None
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def token_key_text(text: str) -> str:
    """The config's one-line form of the token key (base64 of the raw bytes), from either."""
    return base64.b64encode(check_ed25519_public(text)).decode("ascii")


def check_hash_key(text: str, what: str = "the identity-hash key") -> bytes:
    """The city's identity-hash key: 64 hex characters, or base64 of the same 32 bytes."""
    try:
        return tokens.hash_key_from_text(text)
    except tokens.KeyConfigError as exc:
        raise CertError(f"{what}: {exc}") from None


def check_secret_b64(b64: str, what: str, min_bytes: int = 16) -> bytes:
    """The identity-hash key in either of the contract's forms (the name is older than hex:
    kept for its callers; `min_bytes` is the contract's 32 now)."""
    return check_hash_key(b64, what)


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
