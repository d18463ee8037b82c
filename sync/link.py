"""The link to the city broker (used by sync and by the city peer): the appliance's one MQTT
client (`hall.mqtt.MqttClient`) set up as contracts/city-cloud.md asks.

- TLS 1.2+ with a client certificate and the city CA (plain TCP only on loopback, tests);
- a persistent session (clean start off, session expiry), a will message;
- inbound QoS 1 messages acknowledged by hand (`manual_ack`): the PUBACK goes out only
  after the handler returned, i.e. after the message is in the receiver's SQLite; a handler
  that raises gets no PUBACK and the link is dropped, so the broker sends it again;
- a fresh paho client per connection (`keep_unacked` off): paho's memory of a session is
  dropped; what must be sent again is sent by its owner (events by their acks, status and
  load on every connect), and the broker keeps the session under the same client id;
- reconnects with exponential backoff and full jitter (`hall.backoff`): base 1 s, cap 60 s;
  after a connection that held 10 s the first retry waits at most the base;
- a broker that stops answering is detected within the keepalive: after keepalive/2 without
  any packet from the broker an UNSUBSCRIBE probe is sent (the broker must answer it), and
  after one keepalive of silence the connection is dropped (checked every keepalive/20, so
  at most 1.05 × keepalive after the broker's last packet) — when the options carry a
  `probe_topic` (sync's and the peer's do);
- TCP_NODELAY on the socket (Nagle adds 40–90 ms to each small round trip).
`city_options()` gives those defaults; the handlers are given at `start()`.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from typing import Any

from hall.backoff import Backoff
from hall.mqtt import MqttClient
from hall.mqttvalues import (
    Ack,
    ConnectOptions,
    MqttUnavailable,
    Received,
    Reconnect,
    TlsFiles,
    Will,
)

__all__ = ["STABLE_AFTER_S", "CityLink", "TlsFiles", "Will", "city_options"]

STABLE_AFTER_S = 10.0
"""A connection that held this long was a real one: the next drop starts the backoff again
with a quick first retry. One that is dropped sooner (a broker that accepts and drops at
once) keeps the delays growing."""


def city_options(host: str, port: int, client_id: str, **fields: Any) -> ConnectOptions:
    """`ConnectOptions` for a client of the city broker: a persistent session kept 7 days,
    manual acks, a fresh paho client per connection, backoff from 1 s to 60 s (a quick first
    retry after a connection that held `STABLE_AFTER_S`); `fields` are other
    `ConnectOptions` fields (tls, keepalive, will, probe_topic …)."""
    city = ConnectOptions(
        host,
        port,
        client_id,
        keepalive=30,
        clean_start=False,
        session_expiry=7 * 86400,
        max_inflight=32,
        reconnect=Reconnect(1.0, 60.0, stable_after=STABLE_AFTER_S),
        manual_ack=True,
        keep_unacked=False,
        label="city broker",
    )
    return dataclasses.replace(city, **fields)


MessageHandler = Callable[[str, bytes, bool], None]


class CityLink:
    """`CityLink(options)` is set up, `start(on_message, on_up=…, on_down=…)` connects (in the
    background); the handlers run on the link's network thread. `on_message(topic, data,
    retained)` returning means the message may be acknowledged."""

    DOWN, CONNECTING, UP = MqttClient.DOWN, MqttClient.CONNECTING, MqttClient.UP

    def __init__(
        self,
        opts: ConnectOptions,
        *,
        subscriptions: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.opts = opts
        self._on_message: MessageHandler = _unstarted
        self._on_up: Callable[[bool], None] | None = None
        self._on_down: Callable[[], None] | None = None
        self._client = MqttClient(
            opts,
            self._deliver,
            on_up=self._up,
            on_down=self._down,
            clock=clock,
            rand=rand,
        )
        for pattern in subscriptions:
            self._client.subscribe(pattern, qos=1)

    @property
    def state(self) -> str:
        return self._client.state

    @property
    def connected(self) -> bool:
        return self._client.connected

    @property
    def stats(self) -> dict[str, int]:
        return self._client.stats

    @property
    def backoff(self) -> Backoff:
        return self._client.backoff

    def start(
        self,
        on_message: MessageHandler,
        *,
        on_up: Callable[[bool], None] | None = None,
        on_down: Callable[[], None] | None = None,
    ) -> CityLink:
        self._on_message = on_message
        self._on_up = on_up
        self._on_down = on_down
        self._client.start()
        return self

    def publish(self, topic: str, data: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when not connected (nothing queued) or paho refused."""
        return self.send(topic, data, qos=qos, retain=retain) is not None

    def send(self, topic: str, data: bytes, *, qos: int = 1, retain: bool = False) -> Ack | None:
        """Queue a message; its `Ack` (the broker's PUBACK and its reason code, "Not
        authorized" included), or None when not connected (nothing queued) or paho refused."""
        try:
            return self._client.publish(topic, data, qos=qos, retain=retain)
        except MqttUnavailable:
            return None

    def stop(self, final: list[tuple[str, bytes, int, bool]] | None = None) -> None:
        """Publish `final` (topic, data, qos, retain) if connected, disconnect cleanly, stop."""
        self._client.stop(final or ())

    def _deliver(self, msg: Received) -> None:
        self._on_message(msg.topic, msg.payload, msg.retain)

    def _up(self, session_present: bool) -> None:
        if self._on_up is not None:
            self._on_up(session_present)

    def _down(self) -> None:
        if self._on_down is not None:
            self._on_down()


def _unstarted(topic: str, data: bytes, retained: bool) -> None:
    raise RuntimeError("the city link delivered a message before start()")
