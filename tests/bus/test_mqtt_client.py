"""The one MQTT client module (`hall.mqtt`) on a real Mosquitto: PUBACKs and their reason
codes, subscriptions restored after a broker restart, the quick first retry after a drop,
manual acks, username and password."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hall.bus.broker import MosquittoBroker, MosquittoConfig
from hall.mqtt import MqttClient, try_connect
from hall.mqttvalues import ConnectOptions, MqttUnavailable, Received, Reconnect
from tests.bus.bus_helpers import wait_subscribed, wait_until

pytestmark = pytest.mark.timeout(60)

FAST = Reconnect(base=0.1, cap=0.5)


def options(port: int, client_id: str, **kw: object) -> ConnectOptions:
    return dataclasses.replace(
        ConnectOptions("127.0.0.1", port, client_id, reconnect=FAST, label="test broker"), **kw
    )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    with MosquittoBroker(tmp_path / "mq") as b:
        yield b


@pytest.fixture
def clients() -> Iterator[Callable[..., MqttClient]]:
    made: list[MqttClient] = []

    def make(
        opts: ConnectOptions, on_message: Callable[[Received], None] = lambda m: None, **kw: object
    ) -> MqttClient:
        c = MqttClient(opts, on_message, **kw)  # type: ignore[arg-type]
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def test_publish_returns_the_brokers_answer(
    broker: MosquittoBroker, clients: Callable[..., MqttClient]
) -> None:
    got: list[Received] = []
    sub = clients(options(broker.port, "sub"), got.append)
    sub.subscribe("t/#", sub_id=7)
    sub.start()
    pub = clients(options(broker.port, "pub")).start()
    wait_until(lambda: sub.connected and pub.connected, 5)
    wait_subscribed(sub, "t/#", sub_id=7)
    alone = pub.publish("nobody/listens", b"x", qos=1)
    assert alone.wait(5) and alone.ok and alone.reason == "No matching subscribers"
    ack = pub.publish(
        "t/1", b"one", qos=1, response_topic="r/1", correlation=b"c1", user_properties=[("k", "v")]
    )
    assert ack.wait(5) and ack.ok and ack.reason == "Success"
    zero = pub.publish("t/2", b"two", qos=0)
    assert zero.wait(5) and zero.ok  # QoS 0: done when written
    wait_until(lambda: len(got) == 2, 5)
    first = next(m for m in got if m.topic == "t/1")
    assert (first.payload, first.qos, first.retain) == (b"one", 1, False)
    assert (first.response_topic, first.correlation) == ("r/1", b"c1")
    assert first.user_properties == (("k", "v"),) and first.subscription_ids == (7,)


def test_nothing_is_queued_while_down(tmp_path: Path, clients: Callable[..., MqttClient]) -> None:
    broker = MosquittoBroker(tmp_path / "mq")  # not started yet
    got: list[Received] = []
    c = clients(options(broker.port, "early"), got.append).start()
    try:
        with pytest.raises(MqttUnavailable, match="not connected to the test broker"):
            c.publish("t", b"x")
        assert c.subscribe("t/#") is None  # subscribed on the first connect
        broker.start()
        pub = clients(options(broker.port, "pub")).start()
        wait_until(lambda: c.connected and pub.connected, 10)
        # "connected" is the CONNACK; the SUBSCRIBE sent then may not be processed yet. The
        # broker answers a second one only after the first: its SUBACK says we are subscribed.
        wait_subscribed(c, "t/#")
        assert pub.publish("t/1", b"hello").wait(5)
        wait_until(lambda: [m.payload for m in got] == [b"hello"], 5)
    finally:
        broker.close()


def test_subscriptions_come_back_after_a_broker_restart(
    broker: MosquittoBroker, clients: Callable[..., MqttClient]
) -> None:
    got: list[Received] = []
    ups: list[bool] = []
    sub = clients(options(broker.port, "sub"), got.append, on_up=ups.append)
    sub.subscribe("t/#", sub_id=3)
    sub.start()
    pub = clients(options(broker.port, "pub")).start()
    wait_until(lambda: sub.connected and pub.connected, 5)
    broker.restart()  # no persistence: the broker forgot every subscription
    # `connects` counts the CONNACK; `on_up` is called after it: wait for both
    wait_until(lambda: sub.stats["connects"] == 2 and pub.stats["connects"] == 2, 10)
    wait_until(lambda: len(ups) == 2, 5)
    assert sub.stats["drops"] == 1 and ups == [False, False]
    wait_subscribed(sub, "t/#", sub_id=3)  # the reconnect's SUBSCRIBE was taken
    ack = pub.publish("t/after", b"again", qos=1)
    assert ack.wait(5) and ack.reason == "Success"  # a subscriber is there again
    wait_until(lambda: [m.payload for m in got] == [b"again"], 5)
    assert got[0].subscription_ids == (3,)


def test_the_first_retry_after_a_connection_that_held_is_quick(
    broker: MosquittoBroker, clients: Callable[..., MqttClient]
) -> None:
    # Backoff from 300 s (half of 600 with this rand): only the quick first retry (at most
    # `first` = 0 s) brings the client back within the test's time.
    slow = Reconnect(base=600.0, cap=600.0, first=0.0, stable_after=0.0)
    c = clients(options(broker.port, "held", reconnect=slow), rand=lambda: 0.5).start()
    wait_until(lambda: c.connected, 5)
    # Another client with the same id takes the session over: the broker drops ours.
    taker = try_connect(options(broker.port, "held"), 5)
    assert taker.ok
    wait_until(lambda: c.stats["connects"] == 2 and c.connected, 10)
    assert c.stats["drops"] == 1
    assert c.backoff.attempt == 1  # one delay taken: the quick one


@pytest.mark.allow_logged_exceptions  # the handler's failure is logged with its traceback
def test_a_message_the_handler_could_not_take_comes_again(
    broker: MosquittoBroker, clients: Callable[..., MqttClient]
) -> None:
    taken: list[bytes] = []
    failures: list[bytes] = []

    def store(msg: Received) -> None:
        if not failures:
            failures.append(msg.payload)
            raise OSError("disk full")  # not stored: must not be acknowledged
        taken.append(msg.payload)

    durable = options(
        broker.port, "durable", clean_start=False, session_expiry=300, manual_ack=True
    )
    c = clients(durable, store)
    c.subscribe("in/#")
    c.start()
    pub = clients(options(broker.port, "pub")).start()
    wait_until(lambda: c.connected and pub.connected, 5)
    wait_subscribed(c, "in/#")
    assert pub.publish("in/1", b"order", qos=1).wait(5)
    wait_until(lambda: taken == [b"order"], 10)
    assert failures == [b"order"]
    assert c.stats["handler_errors"] == 1 and c.stats["drops"] == 1


class PasswordBroker(MosquittoBroker):
    def config(self) -> MosquittoConfig:
        return dataclasses.replace(
            super().config(), anonymous=False, password_file=self.directory / "passwd"
        )

    def prepare(self) -> None:
        path = self.directory / "passwd"
        subprocess.run(
            ["mosquitto_passwd", "-b", "-c", str(path), "kiosk-1", "s3cret"],
            check=True,
            capture_output=True,
        )


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd missing")
def test_username_and_password(tmp_path: Path, clients: Callable[..., MqttClient]) -> None:
    with PasswordBroker(tmp_path / "mq") as b:
        anonymous = try_connect(options(b.port, "anon"), 5)
        assert not anonymous.ok and anonymous.problem == "refused"
        wrong = try_connect(options(b.port, "k1", username="kiosk-1", password="guess"), 5)
        assert wrong.problem == "refused" and "Not authorized" in wrong.detail
        right = options(b.port, "k1", username="kiosk-1", password="s3cret")
        assert try_connect(right, 5).ok
        c = clients(right).start()
        wait_until(lambda: c.connected, 5)
        assert "s3cret" not in repr(right)  # never in a log line
