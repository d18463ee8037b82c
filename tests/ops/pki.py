"""A city in miniature for the tests: its CA, a hall's client certificate, its provisioning
key, and bundles signed with it."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from appliance.ops import bundle

ROOT = Path(__file__).resolve().parents[2]
CATALOG = json.loads((ROOT / "appliance/sim/data/catalog.json").read_text(encoding="utf-8"))
HALL_ID = "410411-ZH01"
HALL_NAME = "湛河区政务服务中心"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass
class Issued:
    cert_pem: bytes
    key_pem: bytes


class City:
    def __init__(self) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("City Test CA"))
            .issuer_name(_name("City Test CA"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)
        self.prov_key = ed25519.Ed25519PrivateKey.generate()
        self.token_key = ed25519.Ed25519PrivateKey.generate()

    def issue(
        self,
        cn: str,
        *,
        days: float = 365,
        start_days: float = -1,
        server: bool = False,
        signer: Any = None,
    ) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=start_days))
            .not_valid_after(now + timedelta(days=days))
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
        cert = builder.sign(signer or self.ca_key, hashes.SHA256())
        return Issued(cert.public_bytes(serialization.Encoding.PEM), pem_key(key))

    def trust_file(self, folder: Path) -> Path:
        raw = self.prov_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        path = folder / "provisioning.pub"
        path.write_text(f"# city test key\n{base64.b64encode(raw).decode()}\n")
        return path

    def token_public_b64(self) -> str:
        raw = self.token_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def payload(self, **over: Any) -> dict[str, Any]:
        client = over.pop("client", None) or self.issue(over.get("hall_id", HALL_ID))
        now = datetime.now(UTC)
        data: dict[str, Any] = {
            "v": 1,
            "kind": "hall-provisioning",
            "bundle_id": "B-0001",
            "issued_at": now.isoformat(),
            "expires_at": (now + timedelta(days=30)).isoformat(),
            "hall_id": HALL_ID,
            "hall_name": HALL_NAME,
            "roles": ["hub", "kiosk", "display", "pads", "sync"],
            "city": {
                "broker_url": "mqtts://cityq.example.cn:8883",
                "ca_pem": self.ca_pem.decode(),
                "cert_pem": client.cert_pem.decode(),
                "key_pem": client.key_pem.decode(),
            },
            "token_public_key": self.token_public_b64(),
            "id_hash_key": base64.b64encode(b"k" * 32).decode(),
            "catalog": CATALOG,
            "counters": [
                {"id": "1", "services": ["SB-001", "SB-002"]},
                {"id": "2", "name": "综合窗口", "services": ["YB-001", "SB-001"]},
            ],
        }
        data.update(over)
        return data

    def bundle(self, **over: Any) -> str:
        return bundle.sign(self.payload(**over), self.prov_key)
