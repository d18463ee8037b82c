"""Can this box reach an MQTT broker (with TLS and a client certificate)? The doctor's one
paho seam. It connects once with its own client id and a clean session, so it never takes
over the running sync's persistent session, and disconnects at once."""

from __future__ import annotations

import os
import ssl
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


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
    version = paho.MQTTv5 if target.protocol == "5" else paho.MQTTv311
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
    done = threading.Event()
    outcome: dict[str, object] = {}

    def on_connect(
        c: paho.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        outcome["reason"] = reason
        done.set()

    def on_disconnect(
        c: paho.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        outcome.setdefault("lost", reason)
        done.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    if target.tls:
        try:
            client.tls_set(
                ca_certs=target.ca_file,
                certfile=target.cert_file or None,
                keyfile=target.key_file or None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            return Probe(False, f"TLS files not usable: {exc}")
    started = time.monotonic()
    try:
        client.connect(target.host, target.port, keepalive=max(5, int(timeout) + 2))
    except ssl.SSLError as exc:
        return Probe(False, f"TLS handshake failed: {exc.reason or exc}")
    except OSError as exc:
        return Probe(False, f"cannot connect to {target.host}:{target.port}: {_oserror(exc)}")
    client.loop_start()
    try:
        if not done.wait(timeout):
            return Probe(False, f"no answer from {target.host}:{target.port} in {timeout:g} s")
        millis = (time.monotonic() - started) * 1000
        if "reason" not in outcome:
            return Probe(
                False,
                f"the broker closed the connection ({outcome.get('lost')}): the certificate "
                "may be refused (revoked, wrong CA) or the hall not allowed",
                millis,
            )
        reason = outcome.get("reason")
        failed = bool(getattr(reason, "is_failure", False)) or (isinstance(reason, int) and reason)
        if failed:
            return Probe(False, f"the broker refused the connection: {reason}", millis)
        tls = ""
        sock = client.socket()
        if isinstance(sock, ssl.SSLSocket):
            tls = sock.version() or ""
        return Probe(True, "connected" + (f" with {tls}" if tls else ""), millis, tls)
    finally:
        client.disconnect()
        client.loop_stop()


def _oserror(exc: OSError) -> str:
    return exc.strerror or os.strerror(exc.errno or 0) or str(exc)
