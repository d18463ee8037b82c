"""The one paho-mqtt client of the city broker (used by sync and by the city peer).

- TLS 1.2+ with a client certificate and the city CA (plain TCP only on loopback, tests);
- a persistent session (clean start off, session expiry), will message;
- inbound QoS 1 messages acknowledged by hand (`manual_ack_set`): the PUBACK goes out only
  after `on_message` returned, i.e. after the message is in the receiver's SQLite; a
  handler that raises gets no PUBACK and the link is dropped, so the broker sends it again;
- its own network thread: reconnects with exponential backoff and full jitter (`Backoff`);
- a broker that stops answering is detected within the keepalive: after keepalive/2 without
  any packet from the broker an UNSUBSCRIBE probe is sent (the broker must answer it), and
  after a keepalive of silence the connection is dropped (< 1.5× keepalive, as asked);
- TCP_NODELAY on the socket (Nagle adds 40–90 ms to each small round trip).
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from sync.backoff import Backoff

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca: str
    cert: str
    key: str


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


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


MessageHandler = Callable[[str, bytes, bool], None]


@dataclass(slots=True)
class _Final:
    messages: list[tuple[str, bytes, int, bool]] = field(default_factory=list)


def _props(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def tls_context(files: TlsFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=files.ca)
    ctx.load_cert_chain(files.cert, files.key)
    return ctx


class CityLink:
    DOWN, CONNECTING, UP = "down", "connecting", "up"

    def __init__(
        self,
        opts: LinkOptions,
        on_message: MessageHandler,
        *,
        on_up: Callable[[bool], None] | None = None,
        on_down: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.opts = opts
        self._on_message_cb = on_message
        self._on_up = on_up
        self._on_down = on_down
        self._clock = clock
        self.backoff = Backoff(
            opts.reconnect_min, opts.reconnect_max, rand=rand, stable_after=opts.stable_after
        )
        self.state = self.DOWN
        self._since = 0.0
        self._last_in = 0.0
        self._probe_at: float | None = None
        self._stop = threading.Event()
        self._final = _Final()
        self._ever = False
        self.stats: dict[str, int] = {
            "connects": 0,
            "connect_failures": 0,
            "drops": 0,
            "silent_broker": 0,
            "handler_errors": 0,
            "received": 0,
        }
        self._v5 = opts.protocol == "5"
        self._tls = tls_context(opts.tls) if opts.tls is not None else None
        self._client = self._make_client()
        self._thread = threading.Thread(
            target=self._run, name=f"city-link-{opts.client_id}", daemon=True
        )

    def _make_client(self) -> paho.Client:
        """A new paho client for each connection: paho's own memory of a session (messages
        it would send again) is dropped; what must be sent again is sent by its owner
        (events by their acks, status and load on every connect), and the broker keeps
        the session (subscriptions, queued messages) under the same client id."""
        opts = self.opts
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=opts.client_id,
            protocol=paho.MQTTv5 if self._v5 else paho.MQTTv311,
            clean_session=None if self._v5 else opts.clean_start,
        )
        client.manual_ack_set(True)
        client.max_inflight_messages_set(opts.max_inflight)
        client.max_queued_messages_set(0)
        client.connect_timeout = opts.connect_timeout
        if self._tls is not None:
            client.tls_set_context(self._tls)
        if opts.will is not None:
            w = opts.will
            client.will_set(w.topic, w.payload, qos=w.qos, retain=w.retain)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_ack_packet
        client.on_unsubscribe = self._on_ack_packet
        client.on_socket_open = self._on_socket_open
        # An external-loop hook: paho then never writes from the publishing thread, only
        # from this link's network thread (it wakes it through its socket pair).
        client.on_socket_register_write = self._noop_socket_cb
        client.on_socket_unregister_write = self._noop_socket_cb
        return client

    # --- public -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.state == self.UP

    def start(self) -> CityLink:
        self._thread.start()
        return self

    def publish(self, topic: str, data: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when not connected (nothing queued) or paho refused."""
        if self.state != self.UP:
            return False
        info = self._client.publish(topic, data, qos=qos, retain=retain)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def stop(self, final: list[tuple[str, bytes, int, bool]] | None = None) -> None:
        """Publish `final` (topic, data, qos, retain) if connected, disconnect cleanly, stop."""
        self._final.messages = list(final or [])
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def drop(self, why: str) -> None:
        """Close the socket without DISCONNECT (the broker sends the will) and reconnect."""
        self._lost(why)

    # --- the network thread -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.state == self.DOWN:
                waited = self._ever or self.stats["connect_failures"]
                if waited and self._stop.wait(self.backoff.next_delay()):
                    break
                self._attempt()
                continue
            try:
                rc = self._client.loop(timeout=0.05)
            except Exception:  # a callback failed: keep the link's thread alive
                log.exception("%s: error in the network loop", self.opts.client_id)
                self._lost("internal error")
                continue
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._lost(f"connection lost ({paho.error_string(rc)})")
                continue
            self._watch(self._clock())
        self._shutdown()

    def _attempt(self) -> None:
        self.state = self.CONNECTING
        self._since = self._clock()
        if self._ever:
            self._close_socket()
            self._client = self._make_client()
        self._ever = True
        props = None
        if self._v5:
            props = _props(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.opts.session_expiry
        clean = self.opts.clean_start if self._v5 else paho.MQTT_CLEAN_START_FIRST_ONLY
        try:
            self._client.connect(
                self.opts.host,
                self.opts.port,
                keepalive=self.opts.keepalive,
                clean_start=clean,
                properties=props,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            self.stats["connect_failures"] += 1
            self.state = self.DOWN
            log.warning(
                "%s: cannot reach the broker %s:%d: %s",
                self.opts.client_id,
                self.opts.host,
                self.opts.port,
                exc,
            )

    def _watch(self, now: float) -> None:
        if self.state == self.CONNECTING:
            if now - self._since > self.opts.connect_timeout:
                self._lost("no CONNACK in time")
            return
        idle = now - self._last_in
        ka = float(self.opts.keepalive)
        if idle >= ka:
            self.stats["silent_broker"] += 1
            self._lost(f"the broker said nothing for {idle:.1f} s")
        elif idle >= ka / 2 and (self._probe_at is None or now - self._probe_at >= ka / 2):
            self._probe_at = now
            if self.opts.probe_topic:
                self._client.unsubscribe(self.opts.probe_topic)

    def _lost(self, why: str) -> None:
        was_up = self.state == self.UP
        self.state = self.DOWN
        self.stats["drops"] += 1
        self._close_socket()
        if was_up:
            self.backoff.connected_for(self._clock() - self._since)
            log.warning("%s: lost the city broker: %s", self.opts.client_id, why)
            if self._on_down is not None:
                self._on_down()
        else:
            log.info("%s: connection attempt failed: %s", self.opts.client_id, why)

    def _shutdown(self) -> None:
        if self.state == self.UP:
            infos = [
                self._client.publish(t, d, qos=q, retain=r) for t, d, q, r in self._final.messages
            ]
            end = self._clock() + 2.0
            while self._clock() < end and not all(i.is_published() for i in infos):
                if self._client.loop(timeout=0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break
            self._client.disconnect()
            for _ in range(5):
                if self._client.loop(timeout=0.02) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break
            if self._on_down is not None:
                self._on_down()
        self.state = self.DOWN
        self._close_socket()

    def _close_socket(self) -> None:
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # --- paho callbacks (on the network thread) ---------------------------------------

    def _noop_socket_cb(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        return None

    def _on_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        if self.opts.nodelay and isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_ack_packet(self, client: paho.Client, userdata: Any, *args: Any) -> None:
        self._last_in = self._clock()

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        if reason.is_failure:
            self.stats["connect_failures"] += 1
            log.warning("%s: the broker refused the connection: %s", self.opts.client_id, reason)
            self._lost("refused")
            return
        now = self._clock()
        self.state = self.UP
        self._since = now
        self._last_in = now
        self._probe_at = None
        self.stats["connects"] += 1
        log.info(
            "%s: connected to %s:%d (session %s)",
            self.opts.client_id,
            self.opts.host,
            self.opts.port,
            "kept" if flags.session_present else "new",
        )
        for pattern in self.opts.subscriptions:
            if self._v5:
                client.subscribe(pattern, options=SubscribeOptions(qos=1))
            else:
                client.subscribe(pattern, qos=1)
        if self._on_up is not None:
            self._on_up(bool(flags.session_present))

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self._last_in = self._clock()
        self.stats["received"] += 1
        try:
            self._on_message_cb(msg.topic, bytes(msg.payload), bool(msg.retain))
        except Exception:
            self.stats["handler_errors"] += 1
            log.exception("%s: storing a message failed; not acknowledged", self.opts.client_id)
            self._lost("a message could not be stored")
            return
        if msg.qos > 0:
            client.ack(msg.mid, msg.qos)
