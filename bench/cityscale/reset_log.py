"""What Mosquitto 2.0.11 logs when a hall drops its TLS connection (issue 19).

A hall that closes its socket while the broker still has bytes for it (unread acks: the
kernel answers with a TCP RST) is logged as `Client … disconnected: Protocol error.`, with
no OpenSSL line: Mosquitto sets errno to EPROTO for every TLS read error that is not
WANT_READ/WANT_WRITE. A hall that closes with nothing unread is `closed its connection`.
So "Protocol error" in a storm's log counts halls that dropped their own link, not bad
packets. Run: python bench/cityscale/reset_log.py
"""

from __future__ import annotations

import ssl
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from sync.city_peer.broker import CityBroker  # noqa: E402
from sync.city_peer.pki import PLATFORM_CN, Pki, make_pki  # noqa: E402

HALLS = ("410400-C00001", "410400-C00002")


def client(pki: Pki, cn: str, port: int) -> paho.Client:
    ident = pki.client(cn)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=str(pki.ca))
    ctx.load_cert_chain(str(ident.cert), str(ident.key))
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"hall-{cn}", protocol=paho.MQTTv5)
    c.tls_set_context(ctx)
    c.connect("127.0.0.1", port)
    for _ in range(20):
        c.loop(0.05)
    return c


def main() -> None:
    d = Path(tempfile.mkdtemp(prefix="reset-log-"))
    pki = make_pki(d / "pki", clients=(PLATFORM_CN, *HALLS))
    broker = CityBroker(d / "broker", pki=pki)
    broker.start()
    try:
        city = client(pki, PLATFORM_CN, broker.port)
        for cn, unread in zip(HALLS, (True, False), strict=True):
            hall = client(pki, cn, broker.port)
            hall.subscribe(f"cityq/v1/halls/{cn}/down/#", qos=1)
            for _ in range(20):
                hall.loop(0.05)
            if unread:
                for _ in range(50):
                    city.publish(f"cityq/v1/halls/{cn}/down/x", b"x" * 20000, qos=1)
                for _ in range(40):
                    city.loop(0.05)
            print(f"hall-{cn}: closes its socket with {'' if unread else 'nothing '}unread")
            hall.socket().close()  # no DISCONNECT, no TLS close_notify
            time.sleep(1)
    finally:
        broker.close()
    for line in broker.log_path.read_text().splitlines():
        if ("hall-" in line and "New client" not in line) or "OpenSSL" in line:
            print("  mosquitto:", line.split(": ", 1)[1])


if __name__ == "__main__":
    main()
