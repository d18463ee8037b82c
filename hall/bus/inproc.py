"""The hall bus inside one process: for `hall demo` and the fast tests.

Several `InProcBus` clients share one `InProcBroker`, which behaves like Mosquitto where
role code can tell: retained store, wildcards, MQTT 5 subscription identifiers, will
messages on a crash (`kill_client`), and an outage (`go_down` / `come_up` / `restart`)
after which clients resubscribe, receive retained state again and republish their birth.
Payloads are encoded to bytes and decoded on delivery, exactly as over MQTT.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from hall.bus import topics
from hall.bus.base import BusBase
from hall.bus.envelope import NO_ENVELOPE, Envelope, Inbound
from hall.bus.interface import DEFAULT_MAX_PAYLOAD, BusUnavailable, LastMessage


@dataclass(frozen=True, slots=True)
class _Will:
    topic: str
    data: bytes
    retain: bool


class InProcBroker:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._clients: dict[str, InProcBus] = {}
        self._subs: dict[str, dict[str, int]] = {}  # client id -> pattern -> sub id
        self._wills: dict[str, _Will] = {}
        self._retained: dict[str, bytes] = {}
        self._up = True

    @property
    def is_up(self) -> bool:
        return self._up

    def publish_raw(
        self,
        topic: str,
        data: bytes,
        *,
        retain: bool = False,
        envelope: Envelope = NO_ENVELOPE,
    ) -> None:
        """Publish bytes as any client could, valid or not (tests use it for bad input)."""
        with self._lock:
            if retain:
                if data:
                    self._retained[topic] = data
                else:
                    self._retained.pop(topic, None)
            for client_id, subs in self._subs.items():
                for pattern, sub_id in subs.items():
                    if topics.matches(pattern, topic):
                        msg = Inbound(topic, data, False, envelope, (sub_id,))
                        self._clients[client_id]._receive(msg)

    def kill_client(self, client_id: str) -> None:
        """The client's process died: the broker publishes its will; the client is gone."""
        with self._lock:
            client = self._clients.pop(client_id)
            self._subs.pop(client_id, None)
            will = self._wills.pop(client_id, None)
            client._dead = True
            if will is not None and self._up:
                self.publish_raw(will.topic, will.data, retain=will.retain)
        client._link_changed(False)

    def go_down(self) -> None:
        """The broker stops: every client loses its link and its subscriptions."""
        with self._lock:
            self._up = False
            self._subs.clear()
            clients = list(self._clients.values())
        for client in clients:
            client._link_changed(False)

    def come_up(self) -> None:
        """The broker is back: every client reconnects, resubscribes and sends its birth."""
        with self._lock:
            self._up = True
            for client in list(self._clients.values()):
                self._connect(client)

    def restart(self) -> None:
        self.go_down()
        self.come_up()

    # -- for InProcBus ---------------------------------------------------------------------

    def _attach(self, client: InProcBus) -> None:
        with self._lock:
            if client.client_id in self._clients:
                raise ValueError(f"client id {client.client_id!r} is already connected")
            self._clients[client.client_id] = client
            if self._up:
                self._connect(client)

    def _detach(self, client_id: str) -> None:
        with self._lock:
            self._clients.pop(client_id, None)
            self._subs.pop(client_id, None)
            self._wills.pop(client_id, None)

    def _connect(self, client: InProcBus) -> None:
        self._subs[client.client_id] = {}
        if client._will_data is not None and client.will is not None:
            self._wills[client.client_id] = _Will(
                client.will.topic, client._will_data, client.will.retain
            )
        self._subscribe(client.client_id, client.reply_topic, 0)
        for pattern, sub_id in client._subscriptions():
            self._subscribe(client.client_id, pattern, sub_id)
        if client._birth_data is not None and client.birth is not None:
            self.publish_raw(client.birth.topic, client._birth_data, retain=client.birth.retain)
        client._link_changed(True)

    def _subscribe(self, client_id: str, pattern: str, sub_id: int) -> None:
        with self._lock:
            subs = self._subs.get(client_id)
            if subs is None or not self._up:
                return
            subs[pattern] = sub_id
            client = self._clients[client_id]
            for topic, data in list(self._retained.items()):
                if topics.matches(pattern, topic):
                    client._receive(Inbound(topic, data, True, NO_ENVELOPE, (sub_id,)))

    def _unsubscribe(self, client_id: str, pattern: str) -> None:
        with self._lock:
            self._subs.get(client_id, {}).pop(pattern, None)

    def _publish(
        self, client: InProcBus, topic: str, data: bytes, retain: bool, env: Envelope
    ) -> None:
        with self._lock:
            if not self._up or client._dead or client.client_id not in self._subs:
                raise BusUnavailable(f"{client.client_id}: not connected to the hall bus")
            self.publish_raw(topic, data, retain=retain, envelope=env)


class InProcBus(BusBase):
    """A client of an `InProcBroker`; connected as soon as it is constructed (if it is up)."""

    def __init__(
        self,
        broker: InProcBroker,
        client_id: str,
        *,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        super().__init__(client_id, will=will, birth=birth, max_payload=max_payload)
        self._broker = broker
        self._dead = False
        broker._attach(self)

    def _transport_publish(
        self, topic: str, data: bytes, retain: bool, qos: int, envelope: Envelope
    ) -> None:
        self._broker._publish(self, topic, data, retain, envelope)

    def _transport_subscribe(self, pattern: str, sub_id: int) -> None:
        self._broker._subscribe(self.client_id, pattern, sub_id)

    def _transport_unsubscribe(self, pattern: str) -> None:
        self._broker._unsubscribe(self.client_id, pattern)

    def _transport_close(self) -> None:
        self._broker._detach(self.client_id)
