"""A small certificate authority for tests and demos (`cryptography`): a city CA, the broker's
server certificate, and one client certificate per hall (CN = hall id) and for the platform.

Production halls get their certificates at provisioning; this is what the tests, the
benchmark and `hall sync city-peer pki` use.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PLATFORM_CN = "cityq-platform"


@dataclass(frozen=True, slots=True)
class Identity:
    cert: Path
    key: Path


@dataclass(slots=True)
class Pki:
    folder: Path
    ca: Path
    server: Identity
    clients: dict[str, Identity] = field(default_factory=dict)
    _ca_key: ec.EllipticCurvePrivateKey | None = None
    _ca_cert: x509.Certificate | None = None

    def client(self, cn: str) -> Identity:
        """The client certificate for `cn` (made on first use)."""
        if cn not in self.clients:
            assert self._ca_key is not None and self._ca_cert is not None
            self.clients[cn] = _issue(self.folder, self._ca_key, self._ca_cert, cn, server=False)
        return self.clients[cn]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    folder: Path,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    cn: str,
    *,
    server: bool,
    names: tuple[str, ...] = (),
) -> Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if server:
        alt: list[x509.GeneralName] = []
        for n in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                alt.append(x509.DNSName(n))
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    cert = b.sign(ca_key, hashes.SHA256())
    safe = cn.replace("/", "_")
    ident = Identity(folder / f"{safe}.crt", folder / f"{safe}.key")
    ident.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(ident.key, key)
    return ident


def make_pki(
    folder: Path,
    *,
    clients: tuple[str, ...] = (),
    server_names: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> Pki:
    """A fresh CA in `folder`, the broker's certificate and the clients' certificates."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("City test CA"))
        .issuer_name(_name("City test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca = folder / "city-ca.pem"
    ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server = _issue(folder, ca_key, ca_cert, "broker", server=True, names=server_names)
    pki = Pki(folder, ca, server, {}, ca_key, ca_cert)
    for cn in clients:
        pki.client(cn)
    return pki
