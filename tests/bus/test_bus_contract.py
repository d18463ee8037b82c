"""The contract every hall bus implementation keeps, run on both of them."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from hall.bus import (
    BusRemoteError,
    BusTimeout,
    BusUnavailable,
    LastMessage,
    Message,
    PayloadError,
)
from tests.bus.bus_helpers import BusEnv, wait_until

pytestmark = pytest.mark.timeout(20)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, msg: Message) -> None:
        self.messages.append(msg)

    def topics(self) -> list[str]:
        return [m.topic for m in self.messages]

    def payloads(self, topic: str) -> list[Any]:
        return [dict(m.payload) for m in self.messages if m.topic == topic]


MARK = {"mark": "end of the test's messages"}


def settle(pub: Any, marks: list[tuple[Inbox, str]]) -> None:
    """Wait until everything `pub` sent so far has been delivered: it publishes a mark on each
    topic after the test's messages; one publisher, one subscribing client, so once an inbox
    has a mark, all that came before it is in too. The marks are then taken out. (A sleep
    before "nothing else arrived" passes whatever arrives after it.)"""
    for _inbox, topic in marks:
        pub.publish(topic, MARK)
    for inbox, _topic in marks:
        wait_until(lambda inbox=inbox: any(m.payload == MARK for m in inbox.messages))
    for inbox, _topic in marks:
        inbox.messages = [m for m in inbox.messages if m.payload != MARK]


def test_publish_subscribe_with_wildcards(env: BusEnv) -> None:
    pub, sub = env.make("pub"), env.make("sub")
    plus, hash_, exact = Inbox(), Inbox(), Inbox()
    sub.subscribe("hall/v1/counter/+/state", plus)
    sub.subscribe("hall/v1/#", hash_)
    sub.subscribe("hall/v1/board", exact)
    pub.publish("hall/v1/counter/3/state", {"n": 1})
    pub.publish("hall/v1/counter/3/extra/state", {"n": 2})
    pub.publish("hall/v1/board", {"n": 3, "text": "请 A012 号到 3 号窗口"})
    pub.publish("other/board", {"n": 4})
    settle(
        pub,
        [(plus, "hall/v1/counter/mark/state"), (hash_, "hall/v1/mark"), (exact, "hall/v1/board")],
    )
    assert plus.topics() == ["hall/v1/counter/3/state"]
    assert hash_.topics() == [
        "hall/v1/counter/3/state",
        "hall/v1/counter/3/extra/state",
        "hall/v1/board",
    ]
    assert exact.payloads("hall/v1/board") == [{"n": 3, "text": "请 A012 号到 3 号窗口"}]
    assert not any(m.retained for m in hash_.messages)


def test_unsubscribe_stops_delivery(env: BusEnv) -> None:
    pub, sub = env.make("pub"), env.make("sub")
    gone, kept = Inbox(), Inbox()
    subscription = sub.subscribe("t/+", gone)
    sub.subscribe("t/#", kept)
    subscription.unsubscribe()
    subscription.unsubscribe()
    pub.publish("t/a", {"x": 1})
    settle(pub, [(kept, "t/b")])  # t/+ would have had it too
    assert kept.topics() == ["t/a"] and gone.messages == []


def test_retained_state_reaches_a_late_subscriber(env: BusEnv) -> None:
    pub = env.make("hub")
    pub.publish("hall/v1/board", {"version": 1}, retain=True)
    pub.publish("hall/v1/board", {"version": 2}, retain=True)
    pub.publish("hall/v1/counter/1", {"open": True}, retain=True)
    pub.publish("hall/v1/counter/2", {"open": False}, retain=True)
    pub.clear_retained("hall/v1/counter/2")
    # The broker takes one client's packets in order: once it answered this subscription,
    # it has stored every retained message above (a publish does not wait for that).
    pub.subscribe("hall/v1/board", Inbox())
    late = env.make("display")
    inbox = Inbox()
    late.subscribe("hall/v1/#", inbox)
    settle(pub, [(inbox, "hall/v1/mark")])
    assert sorted(inbox.topics()) == ["hall/v1/board", "hall/v1/counter/1"]
    assert inbox.payloads("hall/v1/board") == [{"version": 2}]
    assert all(m.retained for m in inbox.messages)
    # a second handler on the same client gets the retained state too
    second = Inbox()
    late.subscribe("hall/v1/board", second)
    wait_until(lambda: second.messages)
    assert second.messages[0].retained and second.payloads("hall/v1/board") == [{"version": 2}]


def test_request_and_response(env: BusEnv) -> None:
    hub, kiosk = env.make("hub"), env.make("kiosk")
    hub.serve("hall/v1/cmd/+", lambda topic, p: {"topic": topic, "echo": p})
    assert kiosk.request("hall/v1/cmd/issue", {"service": "A"}, timeout=3) == {
        "topic": "hall/v1/cmd/issue",
        "echo": {"service": "A"},
    }
    results: dict[int, dict[str, Any]] = {}

    def ask(i: int) -> None:
        results[i] = kiosk.request("hall/v1/cmd/call", {"i": i}, timeout=3)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i]["echo"] == {"i": i} for i in range(20))


def test_inline_serving_answers_in_order_and_other_handlers_still_queue(env: BusEnv) -> None:
    """`serve(..., inline=True)` (the hub's commands): on MQTT the handler runs on the
    network thread; the in-process bus ignores the flag. Either way requests are answered
    one at a time, and subscriptions without the flag still run on the delivery thread."""
    hub, kiosk = env.make("hub"), env.make("kiosk")
    threads: dict[str, str] = {}
    order: list[int] = []

    def handle(topic: str, p: dict[str, Any]) -> dict[str, Any]:
        threads["serve"] = threading.current_thread().name
        order.append(p["i"])
        return {"i": p["i"]}

    hub.serve("hall/v1/cmd/+", handle, inline=True)
    hub.subscribe(
        "hall/v1/board", lambda m: threads.setdefault("sub", threading.current_thread().name)
    )
    for i in range(30):
        assert kiosk.request("hall/v1/cmd/call", {"i": i}, timeout=3) == {"i": i}
    assert order == list(range(30))
    kiosk.publish("hall/v1/board", {})
    wait_until(lambda: "sub" in threads)
    assert threads["sub"] == "hall-bus-hub"
    if env.name == "mqtt":
        assert threads["serve"] != "hall-bus-hub"  # the MQTT client's network thread
    else:
        assert threads["serve"] == "hall-bus-hub"


def test_request_times_out_clearly(env: BusEnv) -> None:
    kiosk = env.make("kiosk")
    started = time.monotonic()
    with pytest.raises(BusTimeout, match="hall/v1/cmd/issue"):
        kiosk.request("hall/v1/cmd/issue", {}, timeout=0.3)
    assert time.monotonic() - started >= 0.3  # it waited its timeout (no upper wall limit)
    assert kiosk.stats["request_timeouts"] == 1


def test_handler_may_make_requests(env: BusEnv) -> None:
    hub, relay, kiosk = env.make("hub"), env.make("relay"), env.make("kiosk")
    hub.serve("hall/v1/cmd/inner", lambda t, p: {"inner": True})
    relay.serve("hall/v1/cmd/outer", lambda t, p: relay.request("hall/v1/cmd/inner", p, timeout=2))
    assert kiosk.request("hall/v1/cmd/outer", {}, timeout=3) == {"inner": True}
    seen = Inbox()

    def on_board(msg: Message) -> None:
        seen(Message("reply", relay.request("hall/v1/cmd/inner", {}, timeout=2)))

    relay.subscribe("hall/v1/board", on_board)
    kiosk.publish("hall/v1/board", {})
    wait_until(lambda: seen.messages)


@pytest.mark.allow_logged_exceptions
def test_a_handler_that_raises_is_counted_and_delivery_goes_on(
    env: BusEnv, caplog: pytest.LogCaptureFixture
) -> None:
    pub, sub = env.make("pub"), env.make("sub")
    inbox = Inbox()

    def broken(msg: Message) -> None:
        raise RuntimeError("boom")

    sub.subscribe("t/#", broken)
    sub.subscribe("t/#", inbox)
    sub.serve("cmd/fail", lambda t, p: 1 / 0)  # type: ignore[arg-type, return-value]
    with caplog.at_level(logging.ERROR):
        pub.publish("t/1", {"n": 1})
        pub.publish("t/2", {"n": 2})
        wait_until(lambda: len(inbox.messages) == 2)
        with pytest.raises(BusRemoteError):  # answered at once: not a BusTimeout
            pub.request("cmd/fail", {}, timeout=5)
    assert sub.stats["handler_errors"] == 3
    assert sum("boom" in r.exc_text for r in caplog.records if r.exc_text) == 2
    assert pub.request is not None and sub.is_connected


@pytest.mark.parametrize(
    ("data", "counter"),
    [
        (b"not json", "dropped_invalid_json"),
        (b"\xff\xfe{}", "dropped_invalid_json"),
        (b'{"n": NaN}', "dropped_invalid_json"),
        (b"[1, 2]", "dropped_not_object"),
        (b'"secret 110101199003071234"', "dropped_not_object"),
        (b'{"pad": "' + b"x" * 2000 + b'"}', "dropped_oversized"),
    ],
)
def test_bad_inbound_messages_are_dropped_counted_and_not_logged(
    env: BusEnv, caplog: pytest.LogCaptureFixture, data: bytes, counter: str
) -> None:
    sub = env.make("sub", max_payload=1024)
    inbox = Inbox()
    sub.subscribe("hall/v1/board", inbox)
    sub.serve("hall/v1/cmd", lambda t, p: {})
    with caplog.at_level(logging.DEBUG, logger="hall.bus"):
        env.inject("hall/v1/board", data)
        env.inject("hall/v1/cmd", data)
        env.inject("hall/v1/board", b'{"ok": true}')
        wait_until(lambda: inbox.messages)
    assert inbox.payloads("hall/v1/board") == [{"ok": True}]
    assert sub.stats[counter] == 2
    assert sub.stats.get("handler_errors", 0) == 0
    assert "110101" not in caplog.text and "xxxx" not in caplog.text
    assert "not json" not in caplog.text


def test_bad_outbound_payloads_are_refused(env: BusEnv) -> None:
    bus = env.make("pub", max_payload=100)
    with pytest.raises(PayloadError):
        bus.publish("t", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(PayloadError):
        bus.publish("t", {"when": object()})
    with pytest.raises(PayloadError):
        bus.publish("t", {"pad": "x" * 200})
    with pytest.raises(ValueError):
        bus.publish("t/+", {})
    with pytest.raises(ValueError):
        bus.subscribe("t/#/x", Inbox())


def test_will_is_published_when_a_client_dies(env: BusEnv) -> None:
    watcher = env.make("hub")
    inbox = Inbox()
    watcher.subscribe("hall/v1/presence/+", inbox)
    will = LastMessage("hall/v1/presence/kiosk-1", {"status": "offline"})
    env.crash_client_with_will("kiosk-1", will)
    wait_until(lambda: inbox.payloads("hall/v1/presence/kiosk-1") == [{"status": "offline"}])
    late = Inbox()
    env.make("late").subscribe("hall/v1/presence/+", late)
    wait_until(lambda: late.messages)
    assert late.messages[0].retained


def test_clean_close_sends_no_will(env: BusEnv) -> None:
    watcher = env.make("hub")
    inbox = Inbox()
    watcher.subscribe("hall/v1/presence/+", inbox)
    leaving = env.make("kiosk-2", will=LastMessage("hall/v1/presence/kiosk-2", {"s": "off"}))
    leaving.close()
    watcher.publish("hall/v1/presence/marker", {})
    wait_until(lambda: inbox.messages)
    assert inbox.topics() == ["hall/v1/presence/marker"]


def test_reconnect_after_broker_restart(env: BusEnv) -> None:
    birth = LastMessage("hall/v1/presence/display", {"status": "online"})
    hub = env.make("hub")
    display = env.make("display", birth=birth)
    board, presence = Inbox(), Inbox()
    links: list[bool] = []
    display.on_connection(links.append)
    display.subscribe("hall/v1/board", board)
    hub.subscribe("hall/v1/presence/+", presence)
    hub.serve("hall/v1/cmd", lambda t, p: {"ok": True})
    hub.publish("hall/v1/board", {"version": 7}, retain=True)
    wait_until(lambda: board.messages and presence.messages)

    env.broker_down()
    wait_until(lambda: not display.is_connected and not hub.is_connected)
    with pytest.raises(BusUnavailable):
        display.request("hall/v1/cmd", {}, timeout=1)
    with pytest.raises(BusUnavailable):
        display.publish("hall/v1/board", {})
    env.broker_up()

    wait_until(lambda: display.is_connected and hub.is_connected, timeout=8)
    wait_until(lambda: links == [False, True])
    # resubscribed, retained state delivered again, birth republished
    wait_until(lambda: len(board.messages) == 2)
    assert board.messages[1] == Message("hall/v1/board", {"version": 7}, retained=True)
    wait_until(lambda: len(presence.messages) >= 2)
    assert display.request("hall/v1/cmd", {}, timeout=3) == {"ok": True}
    hub.publish("hall/v1/board", {"version": 8}, retain=True)
    wait_until(lambda: board.payloads("hall/v1/board")[-1] == {"version": 8})


def test_pending_request_fails_fast_when_the_link_drops(env: BusEnv) -> None:
    hub, kiosk = env.make("hub"), env.make("kiosk")
    entered, release = threading.Event(), threading.Event()

    def slow(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        release.wait(10)
        return {}

    hub.serve("hall/v1/cmd", slow)
    outcome: list[BaseException] = []

    def ask() -> None:
        try:
            kiosk.request("hall/v1/cmd", {}, timeout=10)
        except BaseException as exc:
            outcome.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    assert entered.wait(3)
    try:
        env.broker_down()
        asker.join(5)
        # failed while the handler still held the request: on the loss, not at a timeout
        assert not asker.is_alive() and not release.is_set()
        assert len(outcome) == 1 and isinstance(outcome[0], BusUnavailable)
    finally:
        release.set()
    env.broker_up()
