"""Every request gets an answer, oversize is dropped, an idempotency key is bound to its
request, and a request that waited in the broker past its time never acts."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hall.bus.interface import BusTimeout
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused
from tests.security.raw import Raw
from tests.security.site import Site, eventually

REPLY = p.PREFIX + "reply/kiosk-1"


@pytest.fixture
def kiosk(site: Site) -> Any:
    raw = Raw(site.login("kiosk-1"), "kiosk-1").wait_up()
    raw.subscribe(REPLY)
    yield raw
    raw.close()


def ask(raw: Raw, data: bytes, correlation: bytes, command: str = "issue") -> dict[str, Any]:
    raw.publish(
        p.cmd_topic("kiosk-1", command), data, response_topic=REPLY, correlation=correlation
    )
    replies = eventually(lambda: [m for m in raw.on(REPLY) if m.correlation == correlation])
    reply: dict[str, Any] = json.loads(replies[0].payload)
    return reply


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"not json at all {", "payload is not UTF-8 JSON"),
        (b"\xff\xfe\x00garbage", "payload is not UTF-8 JSON"),
        (b'["an", "array"]', "payload is not a JSON object"),
        (b"42", "payload is not a JSON object"),
        (
            b'{"key": "x", "args": {"service": "SB-001"}}' + b" " * (65 * 1024),
            "payload larger than 64 KiB",
        ),
    ],
    ids=["not-json", "not-utf8", "array", "number", "over-64-kib"],
)
def test_a_request_the_hub_cannot_read_is_answered(kiosk: Raw, data: bytes, hint: str) -> None:
    reply = ask(kiosk, data, f"bad-{hint}".encode())
    assert reply["ok"] is False and reply["error"]["code"] == p.INVALID_REQUEST
    assert reply["error"]["hint"] == hint


def test_a_request_failing_its_schema_is_answered_with_the_fields(kiosk: Raw) -> None:
    reply = ask(kiosk, json.dumps({"key": 7, "args": {"service": 1}}).encode(), b"schema")
    assert reply["error"]["code"] == p.INVALID_REQUEST and "key" in reply["error"]["hint"]


def test_an_unknown_command_is_answered(kiosk: Raw) -> None:
    body = json.dumps({"key": "u1", "args": {}}).encode()
    reply = ask(kiosk, body, b"unknown", command="drop_tables")
    assert reply["error"]["code"] == p.UNKNOWN_COMMAND


def test_a_hundred_megabyte_request_is_cut_off_at_the_broker(site: Site) -> None:
    """The issue's: three 100 MB requests took the hub from 44 to 467 MB. The broker closes
    the connection at the packet's header; the hub never sees it and keeps answering."""
    assert site.hub is not None
    before = dict(site.hub.bus.stats)
    raw = Raw(site.login("display-1"), "display-1").wait_up()
    try:
        ack = raw.client.publish(p.cmd_topic("display-1", "report_device"), bytes(100 << 20))
        assert ack.wait(30) and not ack.ok
        eventually(lambda: raw.downs >= 1)
    finally:
        raw.close()
    tool = site.client("tool-local")
    assert tool.execute("issue", {"service": "SB-001"})["number"]
    after = site.hub.bus.stats  # nothing that large ever reached the hub
    assert after.get("dropped_oversized", 0) == before.get("dropped_oversized", 0)


def test_a_key_reused_with_other_arguments_is_refused(site: Site) -> None:
    tool = site.client("tool-local")
    first = tool.execute("issue", {"service": "SB-001"}, key="reuse-1")
    again = tool.execute("issue", {"service": "SB-001"}, key="reuse-1")
    assert again == first  # the same request again: the first answer
    with pytest.raises(CommandRefused) as info:
        tool.execute("issue", {"service": "YB-001"}, key="reuse-1")
    assert info.value.code == "key_reused"
    with pytest.raises(CommandRefused) as info:
        tool.execute("void", {"ticket_id": first["ticket_id"]}, key="reuse-1")
    assert info.value.code == "key_reused"
    assert site.store is not None
    assert site.store.state.tickets[first["ticket_id"]].state.value == "waiting"


def test_a_reused_key_of_a_refused_request_is_bound_too(site: Site) -> None:
    tool = site.client("tool-local")
    with pytest.raises(CommandRefused) as info:
        tool.execute("issue", {"service": "NO-SUCH"}, key="reuse-2")
    assert info.value.code != "key_reused"
    with pytest.raises(CommandRefused) as info:
        tool.execute("issue", {"service": "SB-001"}, key="reuse-2")
    assert info.value.code == "key_reused"


def test_keys_are_the_devices_own(site: Site) -> None:
    site.enroll("kiosk-k", "kiosk")
    a = site.client("kiosk-1").execute("issue", {"service": "SB-001"}, key="same")
    b = site.client("kiosk-k").execute("issue", {"service": "YB-001"}, key="same")
    assert a["ticket_id"] != b["ticket_id"] and b["service"] == "YB-001"


def test_a_request_that_waited_past_its_time_never_acts(tmp_path: Path) -> None:
    """A request queued in the hub's persistent session while the hub is away expires in the
    broker (MQTT 5 message expiry, set from its wait): when the hub comes back it gets only
    the request made after, which arriving first would have followed."""
    from appliance.ops.hallbroker import HallMosquitto
    from hall.bus.mqtt import MqttBus
    from hall.core.rules import Rules
    from hall.core.timekeeping import FixedClock
    from hall.devices import Device, DeviceRegistry
    from hall.store.store import HallStore
    from hub.service import Hub
    from tests.conftest import CATALOG, COUNTERS, HALL_ID, TZ, at

    store = HallStore(
        tmp_path / "hall.db", hall_id=HALL_ID, tz=TZ, rules=Rules(), clock=FixedClock(at("09:30"))
    )
    store.setup(CATALOG, COUNTERS)
    devices = DeviceRegistry([Device("kiosk-1", "kiosk")])
    with HallMosquitto(tmp_path / "mq", hall_id=HALL_ID) as broker:
        broker.enroll_all([Device("hub", "hub"), Device("kiosk-1", "kiosk")])

        def hub_bus(start: bool) -> MqttBus:
            login = broker.login("hub")
            return MqttBus(
                "hub",
                port=login.port,
                username="hub",
                password=login.password,
                session_expiry=300,
                start=start,
            )

        first = hub_bus(True)
        hub = Hub(first, store, devices=devices)
        hub.start()
        assert first.wait_connected(10)
        login = broker.login("kiosk-1")
        kiosk = MqttBus("kiosk-1", port=login.port, username="kiosk-1", password=login.password)
        assert kiosk.wait_connected(10)
        topic = p.cmd_topic("kiosk-1", "issue")
        args = {"service": "SB-001"}
        assert kiosk.request(topic, {"key": "warm", "args": args}, timeout=5)["ok"]
        first._mqtt.stop()  # the hub is gone (its session, with its subscription, stays)
        hub.stop()
        first.close()
        with pytest.raises(BusTimeout):
            kiosk.request(topic, {"key": "old", "ttl_ms": 1000, "args": args}, timeout=1.0)
        time.sleep(2.5)  # the old request's 1 s expiry passes while it waits in the broker
        answer: dict[str, Any] = {}

        def ask_new() -> None:
            answer.update(kiosk.request(topic, {"key": "new", "args": args}, timeout=20))

        asking = threading.Thread(target=ask_new)
        asking.start()
        eventually(lambda: kiosk.stats.get("published", 0) >= 3)
        back = hub_bus(False)
        hub = Hub(back, store, devices=devices)
        hub.start()  # its handlers first: the session's backlog must find them
        back.start()
        asking.join(20)
        assert answer.get("ok") is True
        assert answer["result"]["number"] == "A002"  # the old one would have been A002
        issued = [e for e in store.events_since(0) if e.type == "ticket.issued"]
        assert len(issued) == 2
        hub.stop()
        back.close()
        kiosk.close()
    store.close()
