"""The hall bus's files on the hub box: the broker's settings, passwords, ACL and TLS.

    /etc/mosquitto/conf.d/hall.conf      the settings (deploy/mosquitto/hall.conf: `hall_conf_text`)
    /etc/mosquitto/conf.d/hall-lan.conf  the LAN listener, TLS only (`lan_conf_text`), when the
                                         hall has other boxes; an upgrade keeps it
    /etc/hall/bus/            root:mosquitto 0750
      passwd                  root:mosquitto 0640  hashes of every device's password
      acl                     root:mosquitto 0640  what each device may publish and read
      server.crt, server.key  root:mosquitto 0640  the broker's certificate (hall CA)
    /etc/hall/trust/hall-bus-ca.pem     root 0644  the hall's own CA (every box trusts it)
    /etc/hall/secrets/hall-bus-ca.key   root 0600  its key: it signs the broker's certificate only

The certificates are made with the `cryptography` library: an EC P-256 CA for ten years, the
broker's certificate for two (`hall doctor` warns 30 days before it ends; `hall device
setup --renew` makes a new one, which no box needs to be told about).
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hall import x509kit

LOOPBACK_PORT = 1883
LAN_PORT = 8883
MAX_PACKET = 64 * 1024 + 4096  # the bus's 64 KiB payloads, the topic and the properties
CA_DAYS = 3650
SERVER_DAYS = 730


@dataclass(frozen=True)
class BusFiles:
    etc: Path = Path("/etc/hall")
    mosquitto: Path = Path("/etc/mosquitto/conf.d")

    @property
    def bus_dir(self) -> Path:
        return self.etc / "bus"

    @property
    def passwd(self) -> Path:
        return self.bus_dir / "passwd"

    @property
    def acl(self) -> Path:
        return self.bus_dir / "acl"

    @property
    def server_cert(self) -> Path:
        return self.bus_dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.bus_dir / "server.key"

    @property
    def ca_cert(self) -> Path:
        return self.etc / "trust" / "hall-bus-ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.etc / "secrets" / "hall-bus-ca.key"

    @property
    def lan_wanted(self) -> Path:
        """Left by `deploy/install.sh --lan` before the box is provisioned: the first `hall
        device setup` adds the LAN listener."""
        return self.bus_dir / "lan-wanted"

    @property
    def main_conf(self) -> Path:
        return self.mosquitto / "hall.conf"

    @property
    def lan_conf(self) -> Path:
        return self.mosquitto / "hall-lan.conf"


def hall_conf_text(files: BusFiles = BusFiles(), port: int = LOOPBACK_PORT) -> str:
    """The hall's Mosquitto settings (deploy/mosquitto/hall.conf for the default paths)."""
    return f"""\
# The hall bus: installed as /etc/mosquitto/conf.d/hall.conf by deploy/install.sh. The text
# of `appliance.ops.busfiles.hall_conf_text` (a test keeps the two the same).
# Debian's /etc/mosquitto/mosquitto.conf already sets `persistence true` and
# `persistence_location /var/lib/mosquitto/` (retained state survives a restart).
#
# Nobody is trusted for being on the LAN (docs/SECURITY.md): no anonymous client; every
# process logs in with its device id and a password of its own; its client id is its
# username, so nobody can take over another's session; it may publish and read only what
# its role needs. The password and ACL files are made from the hall's device registry by
# `hall device …`, which reloads Mosquitto (SIGHUP: a revoked device is disconnected).
per_listener_settings false
allow_anonymous false
password_file {files.passwd}
acl_file {files.acl}

# Packets over 68 KiB (the bus's 64 KiB payloads, topic and properties) close the
# connection before they are read into memory.
max_packet_size {MAX_PACKET}

# Without this, every small request/response round trip costs 40-90 ms more (Nagle).
set_tcp_nodelay true

# Save the retained state every 60 s as well as on a clean stop.
autosave_interval 60
# Hold a slow client's messages rather than dropping them (bounded).
max_queued_messages 10000

# Plain TCP on loopback only, for the roles of this box. The hall's other boxes use the LAN
# listener, TLS only (hall-lan.conf: `deploy/install.sh --lan` or `hall device setup --lan`).
# The client id is the username on every listener (a listener's setting: given before any
# `listener` line, Mosquitto 2.0.11 opens a default listener on 0.0.0.0:1883 for it).
listener {port} 127.0.0.1
use_username_as_clientid true
"""


def lan_conf_text(files: BusFiles = BusFiles(), port: int = LAN_PORT, host: str = "") -> str:
    """The LAN listener: TLS 1.2+ only, the broker's certificate from the hall's CA."""
    where = f" {host}" if host else ""
    return f"""\
# The hall bus on the hall's LAN, for the hall's other boxes: TLS only, with a certificate
# from the hall's own CA (made on this box by `hall device setup`). Written by
# `hall device setup --lan`; an upgrade keeps it, `hall device setup --no-lan` removes it.
listener {port}{where}
use_username_as_clientid true
cafile {files.ca_cert}
certfile {files.server_cert}
keyfile {files.server_key}
tls_version tlsv1.2
"""


def lan_port(files: BusFiles) -> int | None:
    """The LAN listener's port as hall-lan.conf says (None: no LAN listener)."""
    try:
        text = files.lan_conf.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "listener" and words[1].isdigit():
            return int(words[1])
    return None


# --- certificates -----------------------------------------------------------------------------


def make_ca(hall_id: str, *, days: int = CA_DAYS) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a new hall CA."""
    key = x509kit.new_key()
    now = dt.datetime.now(dt.UTC)
    cert = x509kit.ca_certificate(
        key, f"hall bus CA {hall_id}", now - dt.timedelta(minutes=5), now + dt.timedelta(days=days)
    )
    return x509kit.pem_cert(cert), x509kit.pem_key(key)


def box_names() -> list[str]:
    """This box's names and addresses for the broker's certificate (informative: the boxes
    check the chain against the hall's CA, which signs nothing else)."""
    names = ["localhost", socket.gethostname(), "127.0.0.1"]
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            names.append(str(info[4][0]))
    except OSError:
        pass
    return list(dict.fromkeys(n for n in names if n))


def make_server_cert(
    ca_pem: bytes, ca_key_pem: bytes, names: list[str], *, days: int = SERVER_DAYS
) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of the broker, signed by the hall's CA."""
    ca = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the hall CA's key is not an EC key")
    key = x509kit.new_key()
    now = dt.datetime.now(dt.UTC)
    cert = x509kit.leaf_certificate(
        ca_key,
        ca,
        key,
        "hall bus broker",
        now - dt.timedelta(minutes=5),
        now + dt.timedelta(days=days),
        server=True,
        names=names,
    )
    return x509kit.pem_cert(cert), x509kit.pem_key(key)


def not_after(pem: bytes) -> dt.datetime:
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc
