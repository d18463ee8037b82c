"""The appliance's one MQTT client: paho-mqtt wrapped once (the only module that imports it).

Used by the hall bus (`hall.bus.mqtt`), the city link (`sync.link`), the city peer and the
doctor's probe (`try_connect`). `MqttClient` is `hall.mqttlink.MqttLink` (the network
thread, reconnects, subscriptions, acks) with paho as its transport:
- MQTT 5 or 3.1.1, clean start or a persistent session (session expiry), username and
  password, TLS 1.2+ with the CA and a client certificate, a will
  (`hall.mqttvalues.ConnectOptions`); TCP_NODELAY on the socket before CONNECT is sent;
- paho writes only from the network thread: a publish from another thread queues the packet
  and wakes that thread through paho's socket pair;
- `publish()` returns an `Ack`: wait for the PUBACK and read its reason code;
- `manual_ack`: an inbound QoS 1 message is acknowledged after its handler returned.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from hall.mqttlink import MessageHandler, MqttLink
from hall.mqttvalues import (
    ConnectOptions,
    ConnectResult,
    MqttUnavailable,
    PublishProps,
    Received,
    TlsFiles,
)

OK = MQTTErrorCode.MQTT_ERR_SUCCESS
NO_PROPS = PublishProps()


def tls_context(files: TlsFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = files.check_hostname
    ctx.load_verify_locations(cafile=files.ca)
    if files.cert:
        ctx.load_cert_chain(files.cert, files.key or None)
    return ctx


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def _nodelay(client: paho.Client, userdata: Any, sock: Any) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _no_socket_hook(client: paho.Client, userdata: Any, sock: Any) -> None:
    """Registered as paho's external-loop write hook: paho then never writes from the
    publishing thread, only from the network thread (woken through its socket pair)."""


def _paho_client(opts: ConnectOptions, tls: ssl.SSLContext | None) -> paho.Client:
    v5 = opts.protocol == "5"
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=opts.client_id,
        protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
        clean_session=None if v5 else opts.clean_start,
    )
    client.manual_ack_set(opts.manual_ack)
    client.max_inflight_messages_set(opts.max_inflight)
    client.connect_timeout = opts.connect_timeout
    if tls is not None:
        client.tls_set_context(tls)
    if opts.username is not None:
        client.username_pw_set(opts.username, opts.password)
    if opts.will is not None:
        w = opts.will
        client.will_set(w.topic, w.payload, qos=w.qos, retain=w.retain)
    if opts.nodelay:
        client.on_socket_open = _nodelay
    client.on_socket_register_write = _no_socket_hook
    client.on_socket_unregister_write = _no_socket_hook
    return client


def _connect(client: paho.Client, opts: ConnectOptions) -> None:
    """Blocking: TCP, TLS handshake, CONNECT sent (CONNACK comes in the loop)."""
    props = None
    if opts.protocol == "5" and opts.session_expiry is not None:
        props = _properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = opts.session_expiry
    clean = opts.clean_start if opts.protocol == "5" else paho.MQTT_CLEAN_START_FIRST_ONLY
    client.connect(
        opts.host, opts.port, keepalive=opts.keepalive, clean_start=clean, properties=props
    )


def _close_socket(client: paho.Client) -> None:
    sock = client.socket()
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


class MqttClient(MqttLink):
    """An MQTT client on paho; see `hall.mqttlink.MqttLink` for its life."""

    def __init__(
        self,
        opts: ConnectOptions,
        on_message: MessageHandler,
        *,
        on_up: Callable[[bool], None] | None = None,
        on_down: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        tls = tls_context(opts.tls) if opts.tls is not None else None
        super().__init__(
            opts,
            lambda link: _PahoTransport(opts, tls, link),
            on_message,
            on_up=on_up,
            on_down=on_down,
            clock=clock,
            rand=rand,
        )


class _PahoTransport:
    """One paho client as the link's `hall.mqttlink.Transport`."""

    def __init__(self, opts: ConnectOptions, tls: ssl.SSLContext | None, link: MqttLink) -> None:
        self._opts = opts
        self._v5 = opts.protocol == "5"
        self._link = link
        c = self._client = _paho_client(opts, tls)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_sub_ack
        c.on_unsubscribe = self._on_sub_ack

    def connect(self) -> None:
        _connect(self._client, self._opts)

    def loop(self, timeout: float) -> str:
        rc = self._client.loop(timeout)
        return "" if rc == OK else paho.error_string(rc)

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        props: PublishProps,
    ) -> int:
        properties: Properties | None = None
        if self._v5 and props != NO_PROPS:
            properties = _properties(PacketTypes.PUBLISH)
            if props.response_topic:
                properties.ResponseTopic = props.response_topic
            if props.correlation:
                properties.CorrelationData = props.correlation
            if props.user:
                properties.UserProperty = list(props.user)
            if props.expiry is not None:
                properties.MessageExpiryInterval = props.expiry
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != OK:
            why = paho.error_string(info.rc)
            raise MqttUnavailable(f"{self._opts.client_id}: publish failed: {why}")
        return info.mid

    def subscribe(self, pattern: str, qos: int, sub_id: int | None) -> int | None:
        if self._v5:
            props = None
            if sub_id is not None:
                props = _properties(PacketTypes.SUBSCRIBE)
                props.SubscriptionIdentifier = sub_id
            options = SubscribeOptions(qos=qos)
            rc, mid = self._client.subscribe(pattern, options=options, properties=props)
        else:
            rc, mid = self._client.subscribe(pattern, qos=qos)
        return mid if rc == OK else None

    def unsubscribe(self, patterns: list[str]) -> int | None:
        rc, mid = self._client.unsubscribe(patterns)
        return mid if rc == OK else None

    def ack(self, mid: int, qos: int) -> None:
        self._client.ack(mid, qos)

    def disconnect(self) -> None:
        self._client.disconnect()

    def close(self) -> None:
        _close_socket(self._client)

    def socket(self) -> Any:
        return self._client.socket()

    # paho's callbacks, on the network thread

    def _on_connect(
        self, c: paho.Client, u: Any, flags: paho.ConnectFlags, reason: ReasonCode, p: Any
    ) -> None:
        refused = str(reason) if reason.is_failure else ""
        self._link.connack(refused, bool(flags.session_present))

    def _on_message(self, c: paho.Client, u: Any, msg: paho.MQTTMessage) -> None:
        self._link.delivered(_received(msg), msg.mid)

    def _on_publish(self, c: paho.Client, u: Any, mid: int, reason: ReasonCode, p: Any) -> None:
        self._link.published(mid, (str(reason),), reason.is_failure)

    def _on_sub_ack(
        self, c: paho.Client, u: Any, mid: int, reasons: list[ReasonCode], p: Any
    ) -> None:
        failed = any(r.is_failure for r in reasons)
        self._link.sub_answered(mid, tuple(str(r) for r in reasons), failed)


def _received(msg: paho.MQTTMessage) -> Received:
    topic, payload = msg.topic, bytes(msg.payload)
    props = msg.properties
    if props is None:
        return Received(topic, payload, msg.qos, bool(msg.retain))
    sub_ids = getattr(props, "SubscriptionIdentifier", None) or []
    if isinstance(sub_ids, int):
        sub_ids = [sub_ids]
    user = getattr(props, "UserProperty", None) or []
    return Received(
        topic,
        payload,
        msg.qos,
        bool(msg.retain),
        getattr(props, "ResponseTopic", None),
        getattr(props, "CorrelationData", None),
        tuple((str(k), str(v)) for k, v in user),
        tuple(sub_ids),
    )


def try_connect(opts: ConnectOptions, timeout: float) -> ConnectResult:
    """Connect once, wait up to `timeout` s for the CONNACK, disconnect (the doctor's probe).
    Never retries; with a clean session and its own client id it takes over no session."""
    try:
        tls = tls_context(opts.tls) if opts.tls is not None else None
    except (OSError, ssl.SSLError, ValueError) as exc:
        return ConnectResult("tls_files", str(exc))
    client = _paho_client(opts, tls)
    got: dict[str, Any] = {}

    def on_connect(c: paho.Client, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        got.setdefault("connack", reason)

    def on_disconnect(c: paho.Client, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        got.setdefault("lost", reason)

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    started = time.monotonic()
    try:
        _connect(client, opts)
    except ssl.SSLError as exc:
        return ConnectResult("tls", str(exc.reason or exc))
    except OSError as exc:
        return ConnectResult("unreachable", exc.strerror or os.strerror(exc.errno or 0) or str(exc))
    try:
        while not got and time.monotonic() - started < timeout:
            if client.loop(0.05) != OK:
                got.setdefault("lost", "connection closed")
        millis = (time.monotonic() - started) * 1000
        if "connack" in got:
            if got["connack"].is_failure:
                return ConnectResult("refused", str(got["connack"]), millis)
            sock = client.socket()
            version = (sock.version() or "") if isinstance(sock, ssl.SSLSocket) else ""
            return ConnectResult("", "connected", millis, version)
        if "lost" in got:
            return ConnectResult("closed", str(got["lost"]), millis)
        return ConnectResult("timeout", f"no answer in {timeout:g} s", millis)
    finally:
        client.disconnect()
        for _ in range(5):
            if client.loop(0.02) != OK:
                break
        _close_socket(client)
