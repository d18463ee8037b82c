"""A small certificate authority for tests and demos (`cryptography`): a city CA, the broker's
server certificate, and one client certificate per hall (CN = hall id) and for the platform.

Production halls get their certificates at provisioning; this is what the tests, the
benchmark and `hall sync city-peer pki` use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from hall import x509kit

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


def _issue(
    folder: Path,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    cn: str,
    *,
    server: bool,
    names: tuple[str, ...] = (),
) -> Identity:
    key = x509kit.new_key()
    now = dt.datetime.now(dt.UTC)
    cert = x509kit.leaf_certificate(
        ca_key,
        ca_cert,
        key,
        cn,
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=825),
        server=server,
        names=names if server else (),
    )
    safe = cn.replace("/", "_")
    ident = Identity(folder / f"{safe}.crt", folder / f"{safe}.key")
    ident.cert.write_bytes(x509kit.pem_cert(cert))
    ident.key.write_bytes(x509kit.pem_key(key))
    ident.key.chmod(0o600)
    return ident


def make_pki(
    folder: Path,
    *,
    clients: tuple[str, ...] = (),
    server_names: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> Pki:
    """A fresh CA in `folder`, the broker's certificate and the clients' certificates."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = x509kit.new_key()
    now = dt.datetime.now(dt.UTC)
    ca_cert = x509kit.ca_certificate(
        ca_key, "City test CA", now - dt.timedelta(days=1), now + dt.timedelta(days=3650)
    )
    ca = folder / "city-ca.pem"
    ca.write_bytes(x509kit.pem_cert(ca_cert))
    server = _issue(folder, ca_key, ca_cert, "broker", server=True, names=server_names)
    pki = Pki(folder, ca, server, {}, ca_key, ca_cert)
    for cn in clients:
        pki.client(cn)
    return pki
