"""Least privilege in the broker, tested by what is delivered (Mosquitto 2.0 grants a forbidden
subscription and then delivers nothing; under MQTT 3.1.1 a forbidden publish looks fine).

Each check publishes the forbidden message, then something allowed through the same broker
path that must arrive after it; the allowed one arriving proves the forbidden one would have
been there first."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from hall.devices import Device
from hall.hubapi import acl
from hall.hubapi import protocol as p
from hall.hubapi.validate import schema
from tests.security.raw import Raw
from tests.security.site import Site, eventually

ROOT = Path(__file__).resolve().parents[2]


def raw(site: Site, device: str, client_id: str | None = None) -> Raw:
    return Raw(site.login(device), client_id or device).wait_up()


def a_call(site: Site) -> None:
    """A real call by the hub (tool-local signs in at counter 3 and calls)."""
    tool = site.client("tool-local")
    tool.execute("issue", {"service": "YB-001"})
    tool.execute("sign_in", {"counter": "3", "staff": "0301"})
    tool.execute("call_next", {"counter": "3"})


def test_a_fake_call_never_reaches_the_display(site: Site) -> None:
    display = raw(site, "display-1")
    kiosk = raw(site, "kiosk-1")
    try:
        display.subscribe(p.CALL_EVENT)
        fake = {"number": "A999", "counter": "1", "counter_name": "请全体离开大厅", "seq": 1}
        ack = kiosk.publish(p.CALL_EVENT, json.dumps(fake).encode())
        assert ack.reasons == ("Not authorized",)
        a_call(site)
        calls = eventually(lambda: display.on(p.CALL_EVENT))
        assert [json.loads(m.payload)["counter"] for m in calls] == ["3"]
    finally:
        display.close()
        kiosk.close()


def test_a_fake_retained_board_is_not_kept(site: Site) -> None:
    kiosk = raw(site, "kiosk-1")
    try:
        ack = kiosk.publish(p.BOARD, b'{"hall":"fake","waiting":0}', retain=True)
        assert not ack.ok
    finally:
        kiosk.close()
    display = raw(site, "display-1")
    try:
        display.subscribe(p.BOARD)
        boards = eventually(lambda: display.on(p.BOARD))
        assert all(b'"fake"' not in m.payload for m in boards)
        assert boards[0].retain
    finally:
        display.close()


def test_a_fake_hub_lost_is_not_delivered(site: Site) -> None:
    tool = raw(site, "tool-local")
    kiosk = raw(site, "kiosk-1")
    try:
        tool.subscribe(p.PRESENCE_PATTERN)
        eventually(lambda: tool.on(p.presence_topic("hub")))  # the hub's retained "up"
        lost = json.dumps({"role": "hub", "status": "lost"}).encode()
        assert not kiosk.publish(p.presence_topic("hub"), lost, retain=True).ok
        assert not kiosk.publish(p.presence_topic("display-1"), lost, retain=True).ok
        own = json.dumps({"role": "kiosk", "status": "up", "note": "own"}).encode()
        assert kiosk.publish(p.presence_topic("kiosk-1"), own, retain=True).ok
        eventually(lambda: [m for m in tool.on(p.presence_topic("kiosk-1")) if b"own" in m.payload])
        assert not [m for m in tool.on(p.presence_topic("hub")) if b'"lost"' in m.payload]
        assert not [m for m in tool.on(p.presence_topic("display-1")) if b'"lost"' in m.payload]
    finally:
        tool.close()
        kiosk.close()


def test_fifteen_hundred_fake_presences_are_refused(site: Site) -> None:
    """The issue's flood: `state/roles` grew past 64 KiB and stopped updating."""
    kiosk = raw(site, "kiosk-1")
    try:
        acks = [
            kiosk.client.publish(p.presence_topic(f"ghost-{n}"), b'{"role":"kiosk","status":"up"}')
            for n in range(1500)
        ]
        for ack in acks:
            assert ack.wait(10)
        assert not any(ack.ok for ack in acks)
    finally:
        kiosk.close()
    assert site.hub is not None
    assert not [c for c in site.hub._roles if c.startswith("ghost-")]


def test_reading_everything_reads_nothing_of_others(site: Site) -> None:
    """`#` and every reply topic: granted by Mosquitto 2.0, delivering nothing forbidden."""
    spy = raw(site, "kiosk-1")
    try:
        for pattern in ("#", p.PREFIX + "reply/+", p.PREFIX + "cmd/#", "$SYS/#"):
            spy.subscribe(pattern)
        tool = site.client("tool-local")
        tool.execute("issue", {"service": "SB-001"})
        eventually(lambda: [m for m in spy.got if m.topic == p.BOARD])  # allowed state comes
        topics = {m.topic for m in spy.got}
        assert not [t for t in topics if t.startswith(p.PREFIX + "cmd/")]
        assert not [t for t in topics if t == p.PREFIX + "reply/tool-local"]
        assert not [t for t in topics if t.startswith(p.PRESENCE_PREFIX) or t.startswith("$SYS")]
    finally:
        spy.close()


def test_a_request_in_another_devices_name_never_reaches_the_hub(site: Site) -> None:
    assert site.hub is not None
    kiosk = raw(site, "kiosk-1")
    try:
        topic = p.cmd_topic("tool-local", "close_day")
        body = json.dumps({"key": "evil-1", "ttl_ms": 3000, "args": {}}).encode()
        ack = kiosk.publish(
            topic, body, response_topic=p.PREFIX + "reply/kiosk-1", correlation=b"x"
        )
        assert ack.reasons == ("Not authorized",)
        # allowed, after it: answered, so the forbidden one was never delivered
        kiosk.subscribe(p.PREFIX + "reply/kiosk-1")
        own = json.dumps({"key": "own-1", "ttl_ms": 3000, "args": {"service": "SB-001"}})
        kiosk.publish(
            p.cmd_topic("kiosk-1", "issue"),
            own.encode(),
            response_topic=p.PREFIX + "reply/kiosk-1",
            correlation=b"y",
        )
        replies = eventually(lambda: kiosk.on(p.PREFIX + "reply/kiosk-1"))
        assert [r.correlation for r in replies] == [b"y"]
        assert site.store is not None and site.store.state.last_closed_day is None
    finally:
        kiosk.close()


def test_only_sync_publishes_nearby(site: Site) -> None:
    kiosk = raw(site, "kiosk-1")
    sync = raw(site, "sync")
    try:
        kiosk.subscribe(p.NEARBY)
        assert not kiosk.publish(p.NEARBY, b'{"v":1,"from":"kiosk"}', retain=True).ok
        assert sync.publish(p.NEARBY, b'{"v":1,"from":"sync"}', retain=True).ok
        got = eventually(lambda: [m for m in kiosk.on(p.NEARBY) if b'"sync"' in m.payload])
        assert got and not [m for m in kiosk.on(p.NEARBY) if b'"kiosk"' in m.payload]
    finally:
        kiosk.close()
        sync.close()


def test_a_pad_line_reads_only_its_own_counters(site: Site) -> None:
    site.enroll("pads-9", "pads", "--counters", "1,2")
    pads = raw(site, "pads-9")
    try:
        for c in ("1", "3", "9"):
            pads.subscribe(p.counter_topic(c))
        pads.subscribe(p.CATALOG)
        eventually(lambda: pads.on(p.CATALOG) and pads.on(p.counter_topic("1")))
        assert not pads.on(p.counter_topic("3")) and not pads.on(p.counter_topic("9"))
    finally:
        pads.close()


def test_the_doctors_probe_reads_presence_and_may_not_ask(site: Site) -> None:
    login = site.login("kiosk-1")
    probe = Raw(login.as_user(acl.probe_user("kiosk-1")), "kiosk-1.doctor").wait_up()
    try:
        probe.subscribe(p.PRESENCE_PATTERN)
        eventually(lambda: probe.on(p.presence_topic("hub")))
        body = json.dumps({"key": "p1", "ttl_ms": 3000, "args": {}}).encode()
        assert not probe.publish(p.cmd_topic("kiosk-1.doctor", "close_day"), body).ok
        assert not probe.publish(p.cmd_topic("kiosk-1", "close_day"), body).ok
    finally:
        probe.close()


def test_every_topic_of_the_acl_is_documented_with_a_schema() -> None:
    doc = yaml.safe_load((ROOT / "docs/hall-bus.asyncapi.yaml").read_text(encoding="utf-8"))
    addresses = {ch["address"] for ch in doc["channels"].values()}

    def as_address(topic: str) -> str:
        t = topic
        for prefix, name in (
            (p.CMD_PREFIX, "{device}/{command}"),
            (p.PREFIX + "reply/", "{clientId}"),
            (p.PRESENCE_PREFIX, "{clientId}"),
            (p.COUNTER_PREFIX, "{counterId}"),
        ):
            if t.startswith(prefix):
                return prefix + name
        return t

    devices = [
        Device(acl.HUB_ID, "hub"),
        Device("kiosk-1", "kiosk"),
        Device("display-1", "display"),
        Device("pads-1", "pads", frozenset({"1"})),
        Device("sync-1", "sync"),
        Device("tool-local", "tool"),
    ]
    defs = schema()["$defs"]
    for topic in acl.topics(devices):
        if topic.endswith("/#"):
            assert topic == acl.STATE_ALL  # the state: every state channel below is listed
            continue
        address = as_address(topic)
        assert address in addresses, topic
        channel = next(ch for ch in doc["channels"].values() if ch["address"] == address)
        for message in channel["messages"].values():
            ref = json.dumps(message["payload"])
            assert "#/$defs/" in ref and ref.split("#/$defs/")[1].split('"')[0] in defs
