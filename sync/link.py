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
- reconnects with exponential backoff and full jitter (`hall.backoff`);
- a broker that stops answering is detected within the keepalive: after keepalive/2 without
  any packet from the broker an UNSUBSCRIBE probe is sent (the broker must answer it), and
  after a keepalive of silence the connection is dropped (< 1.5× keepalive, as asked);
- TCP_NODELAY on the socket (Nagle adds 40–90 ms to each small round trip).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from hall.backoff import Backoff
from hall.mqtt import MqttClient
from hall.mqttvalues import (
    ConnectOptions,
    MqttUnavailable,
    Received,
    Reconnect,
    TlsFiles,
    Will,
)

__all__ = ["CityLink", "LinkOptions", "TlsFiles", "Will"]


@dataclass(frozen=True, slots=True)
class LinkOptions:
    host: str
    port: int
    client_id: str
    tls: TlsFiles | None = None
    protocol: str = "5"
    keepalive: int = 30
    session_expiry: int = 7 * 86400
    clean_start: bool = False
    connect_timeout: float = 10.0
    reconnect_min: float = 1.0
    reconnect_max: float = 300.0
    will: Will | None = None
    subscriptions: tuple[str, ...] = ()
    probe_topic: str = ""
    max_inflight: int = 32
    nodelay: bool = True
    stable_after: float = 60.0

    def connect_options(self) -> ConnectOptions:
        return ConnectOptions(
            host=self.host,
            port=self.port,
            client_id=self.client_id,
            protocol=self.protocol,
            tls=self.tls,
            keepalive=self.keepalive,
            clean_start=self.clean_start,
            session_expiry=self.session_expiry,
            connect_timeout=self.connect_timeout,
            will=self.will,
            nodelay=self.nodelay,
            max_inflight=self.max_inflight,
            reconnect=Reconnect(
                self.reconnect_min, self.reconnect_max, stable_after=self.stable_after
            ),
            manual_ack=True,
            keep_unacked=False,
            probe_topic=self.probe_topic,
            label="city broker",
        )


MessageHandler = Callable[[str, bytes, bool], None]


class CityLink:
    """`CityLink(options)` is set up, `start(on_message, on_up=…, on_down=…)` connects (in the
    background); the handlers run on the link's network thread. `on_message(topic, data,
    retained)` returning means the message may be acknowledged."""

    DOWN, CONNECTING, UP = MqttClient.DOWN, MqttClient.CONNECTING, MqttClient.UP

    def __init__(
        self,
        opts: LinkOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.opts = opts
        self._on_message: MessageHandler = _unstarted
        self._on_up: Callable[[bool], None] | None = None
        self._on_down: Callable[[], None] | None = None
        self._client = MqttClient(
            opts.connect_options(),
            self._deliver,
            on_up=self._up,
            on_down=self._down,
            clock=clock,
            rand=rand,
        )
        for pattern in opts.subscriptions:
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
        try:
            self._client.publish(topic, data, qos=qos, retain=retain)
        except MqttUnavailable:
            return False
        return True

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
