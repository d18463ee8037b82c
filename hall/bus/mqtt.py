"""The hall bus over MQTT 5, on the appliance's one MQTT client (`hall.mqtt`).

One `MqttClient` per bus, with its own network thread. The client subscribes the reply topic
and every pattern (with its MQTT 5 subscription identifier) on each connect; the bus then
publishes the birth message and reports the link up. The client keeps paho's memory of
unacknowledged QoS 1 publishes across a reconnect (`keep_unacked`) and sets TCP_NODELAY:
with Nagle on, a small request/response round trip costs 40-90 ms more.
"""

from __future__ import annotations

import logging
from typing import Any

from hall.bus.base import BusBase
from hall.bus.envelope import Envelope, Inbound
from hall.bus.interface import DEFAULT_MAX_PAYLOAD, BusUnavailable, LastMessage
from hall.bus.login import BusLogin, login_for
from hall.mqtt import MqttClient
from hall.mqttvalues import (
    ConnectOptions,
    MqttUnavailable,
    Received,
    Reconnect,
    TlsFiles,
    Will,
)
from hall.settings import HallCommon

log = logging.getLogger(__name__)

SUBACK_TIMEOUT = 5.0
_ERROR_PROPERTY = ("hall-error", "handler-failed")


class MqttBus(BusBase):
    """A hall bus client on an MQTT 5 broker. Connects in the background; use
    `wait_connected()` to wait for the first connection."""

    _inline_capable = True  # the client's network thread may run a request handler

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
        reconnect_delay: tuple[float, float] = (1.0, 4.0),
        username: str | None = None,
        password: str | None = None,
        tls: TlsFiles | None = None,
        session_expiry: int | None = None,
        start: bool = True,
    ) -> None:
        super().__init__(client_id, will=will, birth=birth, max_payload=max_payload)
        base, cap = reconnect_delay
        opts = ConnectOptions(
            host=host,
            port=port,
            client_id=client_id,
            tls=tls,
            username=username,
            password=password,
            keepalive=keepalive,
            # A persistent session (MQTT 5 session expiry, s) keeps what arrives for this
            # client while it is away; None: a clean start on every connect.
            clean_start=session_expiry is None,
            session_expiry=session_expiry,
            will=Will(will.topic, self._will_data, 1, will.retain)
            if will is not None and self._will_data is not None
            else None,
            nodelay=nodelay,
            # a broker restart on the hub costs a role a fraction of a second
            reconnect=Reconnect(base, cap, first=min(base, 0.1), stable_after=5.0),
            keep_unacked=True,
            label="hall bus",
        )
        self._mqtt = MqttClient(opts, self._on_message, on_up=self._on_up, on_down=self._on_down)
        self._mqtt.subscribe(self.reply_topic, qos=1)
        if start:
            self._mqtt.start()

    def start(self) -> MqttBus:
        """Connect (with `start=False`: after the handlers are registered, so what a
        persistent session kept for this client finds them)."""
        self._mqtt.start()
        return self

    # -- transport -------------------------------------------------------------------------

    def _transport_publish(
        self, topic: str, data: bytes, retain: bool, qos: int, envelope: Envelope
    ) -> None:
        if not self.is_connected:
            raise BusUnavailable(f"{self.client_id}: not connected to the hall bus")
        try:
            self._mqtt.publish(
                topic,
                data,
                qos=qos,
                retain=retain,
                response_topic=envelope.response_topic,
                correlation=envelope.correlation,
                user_properties=(_ERROR_PROPERTY,) if envelope.error else (),
                expiry=envelope.expiry,
            )
        except MqttUnavailable as exc:
            raise BusUnavailable(str(exc)) from None

    def _transport_subscribe(self, pattern: str, sub_id: int) -> None:
        ack = self._mqtt.subscribe(pattern, qos=1, sub_id=sub_id)
        if ack is not None and not ack.wait(SUBACK_TIMEOUT):
            log.warning("no SUBACK for %s within %.0f s", pattern, SUBACK_TIMEOUT)

    def _transport_unsubscribe(self, pattern: str) -> None:
        self._mqtt.unsubscribe(pattern)

    def _transport_close(self) -> None:
        # Unsubscribe first: a message the broker writes while our socket closes after
        # DISCONNECT fails with a broken pipe, and Mosquitto then publishes the will
        # ("lost") although we stopped cleanly.
        self._mqtt.stop(unsubscribe=True)

    # -- the client's callbacks, on its network thread -------------------------------------

    def _on_up(self, session_present: bool) -> None:
        if self.birth is not None and self._birth_data is not None:
            self._mqtt.publish(self.birth.topic, self._birth_data, retain=self.birth.retain)
        self._link_changed(True)

    def _on_down(self) -> None:
        self._link_changed(False)

    def _on_message(self, msg: Received) -> None:
        envelope = Envelope(
            msg.response_topic, msg.correlation, _ERROR_PROPERTY in msg.user_properties
        )
        self._receive(Inbound(msg.topic, msg.payload, msg.retain, envelope, msg.subscription_ids))


def connect(
    login: BusLogin,
    client_id: str,
    *,
    will: LastMessage | None = None,
    birth: LastMessage | None = None,
    **options: Any,
) -> MqttBus:
    """A hall bus client logged in as `login` says (`hall.bus.login.login_for`)."""
    return MqttBus(
        client_id,
        host=login.host,
        port=login.port,
        username=login.username,
        password=login.password,
        tls=login.tls,
        will=will,
        birth=birth,
        **options,
    )


def hall_bus(
    cfg: HallCommon,
    device_id: str,
    *,
    will: LastMessage | None = None,
    birth: LastMessage | None = None,
    **options: Any,
) -> MqttBus:
    """The hall bus of `cfg` for the device `device_id` (its client id and username), with
    its password and TLS as [bus] says: how every role connects."""
    return connect(login_for(cfg, device_id), device_id, will=will, birth=birth, **options)
