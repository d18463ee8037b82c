"""The city link's TLS files, checked when `hall sync` starts: a missing or unreadable CA,
certificate or key stops it with one line (a `ConfigError`: exit 2), and the certificate's
CN is read, because the city's broker knows a hall by it (contract: CN = hall id)."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from hall.mqttvalues import TlsFiles
from hall.settings import ConfigError


def _readable(key: str, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"sync.{key} {path}: cannot read it ({exc.strerror})") from None


def certificate_cn(tls: TlsFiles) -> str:
    """The CN of the client certificate, after checking that the three files can be read and
    used together (the key is the certificate's, the CA is PEM); ConfigError otherwise."""
    _readable("ca_file", tls.ca)
    pem = _readable("cert_file", tls.cert)
    _readable("key_file", tls.key)
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise ConfigError(f"sync.cert_file {tls.cert}: not a PEM certificate") from None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.load_verify_locations(cafile=tls.ca)
    except (ssl.SSLError, ValueError):
        raise ConfigError(f"sync.ca_file {tls.ca}: not a PEM certificate") from None
    try:
        ctx.load_cert_chain(tls.cert, tls.key)
    except (ssl.SSLError, ValueError):
        raise ConfigError(
            f"sync.key_file {tls.key}: not the private key of {tls.cert} "
            "(or encrypted: the service cannot type a passphrase)"
        ) from None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
