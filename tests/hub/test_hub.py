"""The hub on the in-process bus: commands, idempotency, validation, retained state, presence."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from appliance.local import LocalHall
from hall.bus.codec import encode
from hall.bus.interface import Message
from hall.core import commands as c
from hall.hubapi import protocol as p
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable, StateCache
from hall.hubapi.validate import problems
from tests.hub.conftest import Spy


def eventually(cond: Callable[[], Any], timeout: float = 3.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.005)
    raise AssertionError("condition not met in time")


def test_issue_call_finish_over_the_bus(local: LocalHall, spy: Spy) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    _pbus, pad = local.connect("pads-1", "pads")
    t = kiosk.execute("issue", {"service": "SB-001"})
    assert t["number"] == "A001" and t["service_name"] == "社会保障卡申领"
    pad.execute("sign_in", {"counter": "1", "staff": "0107"})
    called = pad.execute("call_next", {"counter": "1"})
    assert called["number"] == "A001" and called["counter_name"] == "1号窗口"
    pad.execute("finish", {"counter": "1"})
    local.settle()
    calls = eventually(lambda: spy.on(p.CALL_EVENT))
    assert calls[0]["number"] == "A001" and calls[0]["counter"] == "1"
    eventually(
        lambda: [
            c
            for c in spy.on(p.counter_topic("1"))[-1:]
            if c["staff"] == "0107" and c["current"] is None
        ]
    )


def test_a_retried_key_acts_once(local: LocalHall, spy: Spy) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    first = kiosk.execute("issue", {"service": "SB-001"}, key="kiosk-1/x/1")
    again = kiosk.execute("issue", {"service": "SB-001"}, key="kiosk-1/x/1")
    assert first == again
    issued = [e for e in local.events() if e["type"] == "ticket.issued"]
    assert len(issued) == 1
    # a refusal is remembered too: the same key never acts later
    _b, pad = local.connect("pads-1", "pads")
    with pytest.raises(CommandRefused) as r1:
        pad.execute("call_next", {"counter": "1"}, key="pad/k")
    pad.execute("sign_in", {"counter": "1", "staff": "0107"})
    with pytest.raises(CommandRefused) as r2:
        pad.execute("call_next", {"counter": "1"}, key="pad/k")
    assert r1.value.code == r2.value.code == "not_signed_in"


def test_refusals_carry_chinese_reasons(local: LocalHall, spy: Spy) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    with pytest.raises(CommandRefused) as r:
        kiosk.execute("issue", {"service": "XX-999"})
    assert r.value.code == "service_not_offered"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.value.message)


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ({"service": "SB-001", "extra": 1}, "unknown field"),
        ({"service": 12}, "service"),
        ({"service": "SB-001", "priority": "vip"}, "priority"),
        ({}, "required"),
    ],
)
def test_invalid_requests_are_refused_and_counted(
    local: LocalHall, spy: Spy, args: dict[str, Any], where: str
) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    before = len(local.events())
    with pytest.raises(CommandRefused) as r:
        kiosk.execute("issue", args)
    assert r.value.code == p.INVALID_REQUEST and where in r.value.hint
    assert local.hub.counts["invalid_request"] == 1
    assert len(local.events()) == before


def test_a_malformed_envelope_and_an_unknown_command(local: LocalHall, spy: Spy) -> None:
    bus = local.bus("tool-1", "tool")
    reply = bus.request(p.cmd_topic("tool-1", "issue"), {"args": {"service": "SB-001"}}, timeout=2)
    assert reply["ok"] is False and reply["error"]["code"] == p.INVALID_REQUEST
    assert not problems("reply", reply)
    reply = bus.request(p.cmd_topic("tool-1", "launch"), {"key": "k", "args": {}}, timeout=2)
    assert reply["error"]["code"] == p.UNKNOWN_COMMAND
    assert local.hub.counts["unknown_command"] == 1


def test_garbage_and_oversized_payloads_are_dropped_and_counted(
    local: LocalHall, spy: Spy, caplog: pytest.LogCaptureFixture
) -> None:
    broker = local.broker
    broker.publish_raw(p.cmd_topic("tool-1", "issue"), b"\xff\xfe not json")
    broker.publish_raw(p.cmd_topic("tool-1", "issue"), b"[1, 2]")
    big = encode({"key": "k", "args": {"service": "SB-001", "pad": "x" * 70_000}}, 10**6)
    broker.publish_raw(p.cmd_topic("tool-1", "issue"), big)
    stats = eventually(
        lambda: (
            (s := local.hub_bus.stats)
            and s.get("dropped_invalid_json", 0) >= 1
            and s.get("dropped_not_object", 0) >= 1
            and s.get("dropped_oversized", 0) >= 1
            and s
        )
    )
    assert stats
    assert not [e for e in local.events() if e["type"] == "ticket.issued"]
    # the log names the reason and the size, never the content
    assert "not json" not in caplog.text and "xxxx" not in caplog.text
    # and the hub goes on serving
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    assert kiosk.execute("issue", {"service": "SB-001"})["number"] == "A001"


def test_the_requesters_clock_never_decides(local: LocalHall, spy: Spy) -> None:
    """A kiosk whose clock is an hour behind, or at 1970, is served like any other: the hub
    compares no clocks (what waited too long in the broker, the broker drops)."""
    bus = local.bus("kiosk-7", "kiosk")
    for i, deadline in enumerate([int(time.time() * 1000) - 3_600_000, 86_400_000]):
        reply = bus.request(
            p.cmd_topic("kiosk-7", "issue"),
            {"key": f"k{i}", "deadline_ms": deadline, "args": {"service": "SB-001"}},
            timeout=2,
        )
        assert reply["ok"] is True, reply
    _b, client = local.connect("kiosk-8", "kiosk")
    seen: list[Message] = []
    local.bus("spy-2", "tool").subscribe(p.CMD_PATTERN, seen.append)
    client.run(c.IssueTicket("SB-001"))
    eventually(lambda: bool(seen))
    assert "deadline_ms" not in seen[0].payload and seen[0].payload["ttl_ms"] > 0


def test_late_subscribers_get_the_whole_state_at_once(local: LocalHall, spy: Spy) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    _pbus, pad = local.connect("pads-1", "pads")
    for _ in range(3):
        kiosk.execute("issue", {"service": "SB-001"})
    pad.execute("sign_in", {"counter": "2", "staff": "0108"})
    pad.execute("call_next", {"counter": "2"})
    local.settle()
    display = local.bus("display-1", "display")
    cache = StateCache(display)
    board = cache.wait_for(p.BOARD, 2)
    assert board is not None
    assert board["hall_name"] == "湛河区政务服务中心"
    assert board["calls"][0]["number"] == "A001"
    sb = next(s for s in board["services"] if s["code"] == "SB-001")
    assert sb["waiting"] == 2
    c2 = cache.wait_for(p.counter_topic("2"), 2)
    assert c2 is not None and c2["current"]["number"] == "A001" and c2["waiting"] == 2
    cat = cache.wait_for(p.CATALOG, 2)
    assert cat is not None and {s["code"] for s in cat["services"]} >= {"SB-001", "HY-001"}
    assert not problems("catalog", cat) and not problems("board", board)


def test_presence_and_roles(local: LocalHall, spy: Spy) -> None:
    kiosk = local.bus("kiosk-1", "kiosk")
    roles = eventually(
        lambda: [r for r in spy.on(p.ROLES) if r["roles"].get("kiosk-1", {}).get("status") == "up"]
    )
    assert roles[-1]["roles"]["hub"]["status"] == "up"
    local.broker.kill_client("kiosk-1")  # the will fires
    eventually(
        lambda: [
            r for r in spy.on(p.ROLES) if r["roles"].get("kiosk-1", {}).get("status") == "lost"
        ]
    )
    del kiosk


def test_hub_unreachable_when_nobody_answers(tmp_path: Any) -> None:
    from hall.bus.inproc import InProcBroker, InProcBus

    bus = InProcBus(InProcBroker(), "kiosk-1")
    client = HallClient(bus, timeout=0.3, attempt_timeout=0.1)
    with pytest.raises(HubUnreachable) as r:
        client.execute("issue", {"service": "SB-001"}, key="k-1")
    assert r.value.key == "k-1"


def test_call_events_are_live_not_retained(local: LocalHall, spy: Spy) -> None:
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    _pbus, pad = local.connect("pads-1", "pads")
    kiosk.execute("issue", {"service": "SB-001"})
    pad.execute("sign_in", {"counter": "1", "staff": "0107"})
    pad.execute("call_next", {"counter": "1"})
    pad.execute("recall", {"counter": "1"})
    eventually(lambda: len(spy.on(p.CALL_EVENT)) == 2)
    late: list[Message] = []
    local.bus("display-9", "display").subscribe(p.CALL_EVENT, late.append)
    pad.execute("recall", {"counter": "1"})  # a new call: it fences the old ones
    eventually(lambda: len(late) >= 1 and len(spy.on(p.CALL_EVENT)) == 3)
    # a display that starts later does not announce old calls: it gets the new one only
    assert [(m.payload["recall"], m.payload["seq"]) for m in late] == [
        (True, spy.on(p.CALL_EVENT)[2]["seq"])
    ]
    first, second, _third = spy.on(p.CALL_EVENT)
    assert (first["recall"], second["recall"]) == (False, True)


def test_every_hub_message_in_a_busy_morning_is_valid(local: LocalHall, spy: Spy) -> None:
    """Drive many kinds of command; the spy fixture fails the test on any invalid message."""
    _bus, kiosk = local.connect("kiosk-1", "kiosk")
    _pbus, pad = local.connect("pads-1", "pads")
    for svc in ("SB-001", "SB-002", "YB-001", "HY-001", "ZX-001"):
        kiosk.execute("issue", {"service": svc})
    kiosk.execute("issue", {"service": "SB-001", "priority": "elderly"})
    t = kiosk.execute("issue", {"service": "SB-001", "confirm_print": True, "kiosk": "kiosk-1"})
    kiosk.execute("confirm_printed", {"ticket_id": t["ticket_id"]})
    v = kiosk.execute("issue", {"service": "SB-001", "confirm_print": True})
    kiosk.execute("void", {"ticket_id": v["ticket_id"]})
    pad.execute("sign_in", {"counter": "1", "staff": "0107"})
    pad.execute("sign_in", {"counter": "3", "staff": "0109"})
    pad.execute("call_next", {"counter": "1"})
    pad.execute("recall", {"counter": "1"})
    pad.execute("start", {"counter": "1"})
    pad.execute("hold", {"counter": "1"})
    pad.execute("call_next", {"counter": "1"})
    pad.execute("transfer", {"counter": "1", "to_service": "YB-001"})
    pad.execute("call_back", {"counter": "1"})
    pad.execute("finish", {"counter": "1"})
    pad.execute("evaluate", {"counter": "1", "rating": 5})
    pad.execute("pause", {"counter": "1"})
    pad.execute("resume", {"counter": "1"})
    pad.execute("call_number", {"counter": "3", "number": "B001"})
    pad.execute(
        "report_device",
        {"device": "pads-1/3", "kind": "pad", "ok": False, "state": "offline"},
    )
    pad.execute("finish", {"counter": "3"})
    pad.execute("sign_out", {"counter": "3"})
    local.settle()
    assert spy.on(p.BOARD) and spy.on(p.CATALOG) and spy.on(p.ROLES)
    devices = eventually(lambda: spy.on(p.DEVICES) and spy.on(p.DEVICES)[-1]["devices"])
    assert devices == [
        {
            "device": "pads-1/3",
            "kind": "pad",
            "ok": False,
            "state": "offline",
            "detail": "",
            "at": devices[0]["at"],
        }
    ]
    time.sleep(0.1)
    for m in spy.messages:
        if m.topic.startswith("hall/v1/reply/"):
            assert not problems("reply", m.payload), m.payload
    json.dumps([m.payload for m in spy.messages], ensure_ascii=False)


def test_the_asyncapi_document_matches_the_protocol() -> None:
    from pathlib import Path

    import yaml

    from hall.hubapi.validate import schema

    root = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((root / "docs/hall-bus.asyncapi.yaml").read_text(encoding="utf-8"))
    defs = schema()["$defs"]
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str) and "#/$defs/" in v:
                    refs.append(v.split("#/$defs/")[1])
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs and all(r in defs for r in refs)
    assert set(doc["channels"]["command"]["messages"]) == set(p.COMMANDS)
    for name in p.COMMANDS:
        assert f"{name}_args" in defs and f"{name}_result" in defs
    addresses = {ch["address"] for ch in doc["channels"].values()}
    topics = [p.BOARD, p.CATALOG, p.ROLES, p.DEVICES, p.NEARBY, p.CALL_EVENT, p.PROGRESS_EVENT]
    assert set(topics) <= addresses, set(topics) - addresses
    assert p.COUNTER_PREFIX + "{counterId}" in addresses
    assert p.PRESENCE_PREFIX + "{clientId}" in addresses


@pytest.mark.parametrize("masked", [False, True])
def test_masked_names_only_where_the_hall_turns_them_on(
    local: LocalHall, spy: Spy, masked: bool
) -> None:
    local.hub.masked_names = masked
    _bus, tool = local.connect("tool-1", "tool")
    change = {
        "id": "AP1",
        "version": 1,
        "status": "booked",
        "service": "SB-001",
        "date": "2026-11-27",
        "slot_start": "09:30",
        "slot_end": "10:00",
        "code": "481234",
        "citizen": {"name_masked": "张*", "id_hash": "ab" * 32},
        "priority": "normal",
        "channel": "mini_program",
    }
    assert tool.execute("apply_appointment", {"change": change})["applied"] is True
    tool.execute("check_in", {"code": "481234"})
    tool.execute("sign_in", {"counter": "1", "staff": "0107"})
    tool.execute("call_next", {"counter": "1"})
    call = eventually(lambda: spy.on(p.CALL_EVENT))[0]
    local.settle()
    board = eventually(lambda: [b for b in spy.on(p.BOARD) if b["calls"]])[-1]
    if masked:
        assert call["masked_name"] == "张*" and board["calls"][0]["masked_name"] == "张*"
    else:
        assert "masked_name" not in call and "masked_name" not in board["calls"][0]
    # the keyed hash travels in the city's appointment (a request), never in what the hub sends
    sent = [m.payload for m in spy.messages if not m.topic.startswith(p.CMD_PREFIX)]
    assert "ab" * 32 not in json.dumps(sent)
