"""Can this box reach an MQTT broker (with TLS and a client certificate)? The doctor's probe,
on the appliance's one MQTT client module (`hall.mqtt.try_connect`). It connects once with
its own client id and a clean session, so it never takes over the running sync's persistent
session, and disconnects at once."""

from __future__ import annotations

from dataclasses import dataclass

from hall.mqtt import try_connect
from hall.mqttvalues import ConnectOptions, TlsFiles


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str
    millis: float = 0.0
    tls_version: str = ""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    tls: bool
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    protocol: str = "5"


def probe(target: Target, client_id: str, timeout: float) -> Probe:
    """Connect, wait for CONNACK within ``timeout`` seconds, disconnect."""
    where = f"{target.host}:{target.port}"
    opts = ConnectOptions(
        host=target.host,
        port=target.port,
        client_id=client_id,
        protocol=target.protocol,
        tls=TlsFiles(target.ca_file, target.cert_file, target.key_file) if target.tls else None,
        keepalive=max(5, int(timeout) + 2),
        connect_timeout=timeout,
        label="probe",
    )
    got = try_connect(opts, timeout)
    if got.ok:
        with_tls = f" with {got.tls_version}" if got.tls_version else ""
        return Probe(True, "connected" + with_tls, got.millis, got.tls_version)
    detail = {
        "tls_files": f"TLS files not usable: {got.detail}",
        "tls": f"TLS handshake failed: {got.detail}",
        "unreachable": f"cannot connect to {where}: {got.detail}",
        "timeout": f"no answer from {where} in {timeout:g} s",
        "refused": f"the broker refused the connection: {got.detail}",
        "closed": f"the broker closed the connection ({got.detail}): the certificate may be "
        "refused (revoked, wrong CA) or the hall not allowed",
    }[got.problem]
    return Probe(False, detail, got.millis)
