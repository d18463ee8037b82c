"""The one MQTT client module against the city's TLS Mosquitto with ACLs: what the broker
answers a forbidden publish, and the doctor's probe (one connection attempt) in each case it
must tell apart."""

from __future__ import annotations

from pathlib import Path

from appliance.ops.mqttprobe import Probe, Target, probe
from hall.mqtt import MqttClient
from hall.mqttvalues import ConnectOptions, TlsFiles
from sync import wire
from sync.city_peer.broker import CityBroker
from sync.city_peer.pki import Pki, make_pki
from tests.sync.citykit import HALL_ID, wait_until

OTHER = "410402-XH01"


def hall_tls(pki: Pki, cn: str = HALL_ID) -> TlsFiles:
    ident = pki.client(cn)
    return TlsFiles(str(pki.ca), str(ident.cert), str(ident.key))


def test_a_forbidden_publish_is_answered_not_authorized_on_mqtt_5(
    pki: Pki, city_broker: CityBroker
) -> None:
    opts = ConnectOptions("localhost", city_broker.port, "acl-5", tls=hall_tls(pki))
    c = MqttClient(opts, lambda m: None).start()
    try:
        wait_until(lambda: c.connected)
        forged = c.publish(wire.up(OTHER, "events"), b"{}", qos=1)
        assert forged.wait(5) and not forged.ok and forged.reason == "Not authorized"
        own = c.publish(wire.up(HALL_ID, "events"), b"{}", qos=1)
        assert own.wait(5) and own.ok  # the control: allowed (no subscriber: still a success)
    finally:
        c.stop()


def target(broker: CityBroker, pki: Pki, **kw: object) -> Target:
    ident = pki.client(HALL_ID)
    fields: dict[str, object] = {
        "host": "localhost",
        "port": broker.port,
        "tls": True,
        "ca_file": str(pki.ca),
        "cert_file": str(ident.cert),
        "key_file": str(ident.key),
    }
    fields.update(kw)
    return Target(**fields)  # type: ignore[arg-type]


def test_the_doctors_probe_tells_each_case_apart(
    pki: Pki, city_broker: CityBroker, tmp_path: Path
) -> None:
    ok = probe(target(city_broker, pki), "doctor-1", 5)
    assert ok.ok and ok.tls_version.startswith("TLSv1.")
    assert ok.detail == f"connected with {ok.tls_version}"
    v311 = probe(target(city_broker, pki, protocol="3.1.1"), "doctor-2", 5)
    assert v311.ok
    no_cert = probe(target(city_broker, pki, cert_file="", key_file=""), "doctor-3", 5)
    assert not no_cert.ok and "closed the connection" in no_cert.detail
    other = make_pki(tmp_path / "other", clients=(HALL_ID,))
    foreign = target(
        city_broker,
        pki,
        cert_file=str(other.client(HALL_ID).cert),
        key_file=str(other.client(HALL_ID).key),
    )
    refused = probe(foreign, "doctor-4", 5)
    assert not refused.ok and "closed the connection" in refused.detail
    wrong_ca = probe(target(city_broker, pki, ca_file=str(other.ca)), "doctor-5", 5)
    assert not wrong_ca.ok and wrong_ca.detail.startswith("TLS handshake failed")
    missing = probe(target(city_broker, pki, ca_file=str(tmp_path / "nope.pem")), "doctor-6", 5)
    assert missing == Probe(False, missing.detail) and missing.detail.startswith(
        "TLS files not usable"
    )
    city_broker.stop()
    down = probe(target(city_broker, pki), "doctor-7", 5)
    assert not down.ok and down.detail.startswith(f"cannot connect to localhost:{city_broker.port}")
