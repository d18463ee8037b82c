"""The hall bus over MQTT 5 with paho-mqtt: the only module that imports paho.

One paho client per bus, its network thread started with `loop_start()`; paho reconnects
with backoff, and every connect resubscribes each pattern (with its MQTT 5 subscription
identifier) and the reply topic, then publishes the birth message. TCP_NODELAY is set on
the socket before CONNECT is sent: with Nagle on, a small request/response round trip
costs 40-90 ms more.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import OrderedDict
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from hall.bus.base import BusBase, Envelope, Inbound
from hall.bus.interface import DEFAULT_MAX_PAYLOAD, BusUnavailable, LastMessage

log = logging.getLogger(__name__)

SUBACK_TIMEOUT = 5.0
_ERROR_PROPERTY = ("hall-error", "handler-failed")


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


class MqttBus(BusBase):
    """A hall bus client on an MQTT 5 broker. Connects in the background; use
    `wait_connected()` to wait for the first connection."""

    _inline_capable = True  # paho's network thread may run a request handler

    def __init__(
        self,
        client_id: str,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        keepalive: int = 10,
        nodelay: bool = True,
        reconnect_delay: tuple[int, int] = (1, 4),
    ) -> None:
        super().__init__(client_id, will=will, birth=birth, max_payload=max_payload)
        self._nodelay = nodelay
        self._acked: OrderedDict[int, bool] = OrderedDict()  # SUBACKed message ids
        self._acks = threading.Condition()
        self._gone = threading.Event()  # set by on_disconnect
        self._unsubscribed = threading.Event()  # set by on_unsubscribe
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.reconnect_delay_set(*reconnect_delay)
        if will is not None and self._will_data is not None:
            client.will_set(will.topic, self._will_data, qos=1, retain=will.retain)
        client.on_socket_open = self._on_socket_open
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        self._client = client
        client.connect_async(host, port, keepalive=keepalive, clean_start=True)
        client.loop_start()

    # -- transport -------------------------------------------------------------------------

    def _transport_publish(
        self, topic: str, data: bytes, retain: bool, qos: int, envelope: Envelope
    ) -> None:
        if not self.is_connected:
            raise BusUnavailable(f"{self.client_id}: not connected to the hall bus")
        props: Properties | None = None
        if envelope.response_topic or envelope.correlation or envelope.error:
            props = _properties(PacketTypes.PUBLISH)
            if envelope.response_topic:
                props.ResponseTopic = envelope.response_topic
            if envelope.correlation:
                props.CorrelationData = envelope.correlation
            if envelope.error:
                props.UserProperty = [_ERROR_PROPERTY]
        info = self._client.publish(topic, data, qos=qos, retain=retain, properties=props)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise BusUnavailable(f"{self.client_id}: publish failed: {paho.error_string(info.rc)}")

    def _transport_subscribe(self, pattern: str, sub_id: int) -> None:
        if not self.is_connected:
            return  # the next connect subscribes it
        rc, mid = self._subscribe(pattern, sub_id)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            return  # lost the link meanwhile; the next connect subscribes it
        with self._acks:
            if not self._acks.wait_for(lambda: mid in self._acked, SUBACK_TIMEOUT):
                log.warning("no SUBACK for %s within %.0f s", pattern, SUBACK_TIMEOUT)
            self._acked.pop(mid, None)

    def _transport_unsubscribe(self, pattern: str) -> None:
        if self.is_connected:
            self._client.unsubscribe(pattern)

    def _transport_close(self) -> None:
        # Stop the broker sending to us first: a message it writes while our socket closes
        # after DISCONNECT fails with a broken pipe, and Mosquitto then publishes the will
        # ("lost") although we stopped cleanly.
        patterns = [pattern for pattern, _sub_id in self._subscriptions()]
        if self.is_connected:
            self._unsubscribed.clear()
            rc, _mid = self._client.unsubscribe([self.reply_topic, *patterns])
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._unsubscribed.wait(1.0)
        # Let the network thread write DISCONNECT before it is stopped: a socket closed
        # without it makes the broker publish the will too.
        self._gone.clear()
        rc = self._client.disconnect()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            if not self._gone.wait(2.0):
                log.warning("%s: DISCONNECT not confirmed within 2 s", self.client_id)
        else:
            log.info("%s: disconnect: %s", self.client_id, paho.error_string(rc))
        self._client.loop_stop()

    def _subscribe(self, pattern: str, sub_id: int) -> tuple[MQTTErrorCode, int | None]:
        props = _properties(PacketTypes.SUBSCRIBE)
        props.SubscriptionIdentifier = sub_id
        return self._client.subscribe(pattern, options=SubscribeOptions(qos=1), properties=props)

    # -- paho callbacks, on paho's network thread ------------------------------------------

    def _on_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        if self._nodelay and isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("%s: broker refused the connection: %s", self.client_id, reason)
            return
        log.info("%s: connected to the hall bus", self.client_id)
        client.subscribe(self.reply_topic, options=SubscribeOptions(qos=1))
        before = self._subscriptions()
        for pattern, sub_id in before:
            self._subscribe(pattern, sub_id)
        if self.birth is not None and self._birth_data is not None:
            client.publish(self.birth.topic, self._birth_data, qos=1, retain=self.birth.retain)
        self._link_changed(True)
        # A subscribe() that ran meanwhile saw "not connected" and left it to us.
        for pattern, sub_id in self._subscriptions():
            if (pattern, sub_id) not in before:
                self._subscribe(pattern, sub_id)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        if self.is_connected and not self._closed:
            log.warning("%s: lost the hall bus: %s", self.client_id, reason)
        self._gone.set()
        self._link_changed(False)

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        props: Properties | None,
    ) -> None:
        if any(r.is_failure for r in reasons):
            log.warning("%s: a subscription was refused: %s", self.client_id, reasons)
        with self._acks:
            self._acked[mid] = True
            while len(self._acked) > 256:  # resubscriptions on connect are never awaited
                self._acked.popitem(last=False)
            self._acks.notify_all()

    def _on_unsubscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        props: Properties | None,
    ) -> None:
        self._unsubscribed.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        props = msg.properties
        response_topic = getattr(props, "ResponseTopic", None)
        correlation = getattr(props, "CorrelationData", None)
        user = getattr(props, "UserProperty", None) or []
        sub_ids = getattr(props, "SubscriptionIdentifier", None) or []
        if isinstance(sub_ids, int):
            sub_ids = [sub_ids]
        envelope = Envelope(response_topic, correlation, _ERROR_PROPERTY in user)
        self._receive(
            Inbound(msg.topic, bytes(msg.payload), bool(msg.retain), envelope, tuple(sub_ids))
        )
