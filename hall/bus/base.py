"""What both bus implementations share: handler table, delivery thread, request/response,
payload checks and counters. A transport subclass only moves bytes (`_transport_*`) and
reports what arrives (`_receive`) and whether the link is up (`_link_changed`)."""

from __future__ import annotations

import logging
import math
import queue
import threading
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from hall.bus import codec, topics
from hall.bus.envelope import NO_ENVELOPE, Deliver, Envelope, Inbound
from hall.bus.interface import (
    DEFAULT_MAX_PAYLOAD,
    BusRemoteError,
    BusTimeout,
    BusUnavailable,
    ConnectionCallback,
    InvalidHandler,
    JsonObject,
    LastMessage,
    Message,
    MessageHandler,
    RequestHandler,
)

log = logging.getLogger(__name__)


class _Handle:
    """One registered handler; `unsubscribe()` is the `Subscription` protocol. `refused` is
    told of a message whose payload the bus could not decode (served requests only)."""

    def __init__(
        self,
        bus: BusBase,
        pattern: str,
        deliver: Deliver,
        refused: Callable[[Inbound, str], None] | None = None,
    ) -> None:
        self.bus = bus
        self.pattern = pattern
        self.deliver = deliver
        self.refused = refused

    def unsubscribe(self) -> None:
        self.bus._remove(self)


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: JsonObject | None = None
        self.error: Exception | None = None


class BusBase(ABC):
    # Whether `_receive` runs on a thread of the transport's own that may run a handler
    # (MQTT's network thread), rather than inside another client's publish (in-process).
    _inline_capable = False

    def __init__(
        self,
        client_id: str,
        *,
        will: LastMessage | None = None,
        birth: LastMessage | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        self._client_id = topics.check_client_id(client_id)
        self.max_payload = max_payload
        self.reply_topic = topics.reply_topic(client_id)
        self.will = will
        self.birth = birth
        self._will_data = codec.encode(will.payload, max_payload) if will else None
        self._birth_data = codec.encode(birth.payload, max_payload) if birth else None
        self._lock = threading.Lock()  # short sections only; the network thread takes it
        self._sub_lock = threading.RLock()  # serialises subscribe/unsubscribe
        self._handlers: dict[str, list[_Handle]] = {}
        self._sub_ids: dict[str, int] = {}
        self._next_sub_id = 1
        self._pending: dict[bytes, _Pending] = {}
        self._inline_ids: set[int] = set()  # subscriptions delivered on the network thread
        self._counters: Counter[str] = Counter()
        self._connected = False
        self._link = threading.Condition(self._lock)
        self._callbacks: list[ConnectionCallback] = []
        self._closed = False
        self._queue: queue.SimpleQueue[Inbound | Callable[[], None] | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name=f"hall-bus-{client_id}", daemon=True)
        self._worker.start()

    # -- the Bus protocol ------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def is_connected(self) -> bool:
        return self._connected

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected or `timeout` seconds pass; return whether connected."""
        with self._link:
            return self._link.wait_for(lambda: self._connected, timeout)

    def publish(
        self, topic: str, payload: Mapping[str, Any], *, retain: bool = False, qos: int = 1
    ) -> None:
        topics.check_topic(topic)
        data = codec.encode(payload, self.max_payload)
        self._send(topic, data, retain, qos, NO_ENVELOPE)

    def clear_retained(self, topic: str) -> None:
        self._send(topics.check_topic(topic), b"", True, 1, NO_ENVELOPE)

    def subscribe(self, pattern: str, handler: MessageHandler) -> _Handle:
        def deliver(msg: Inbound, payload: JsonObject) -> None:
            handler(Message(msg.topic, payload, msg.retained))

        return self._add(pattern, deliver)

    def serve(
        self,
        topic_pattern: str,
        handler: RequestHandler,
        *,
        inline: bool = False,
        invalid: InvalidHandler | None = None,
    ) -> _Handle:
        def answer(msg: Inbound, make: Callable[[], JsonObject]) -> None:
            env = msg.envelope
            if env.response_topic is None:
                self._count("requests_without_response_topic")
                log.warning("request on %s has no response topic; ignored", msg.topic)
                return
            failed = Envelope(None, env.correlation, error=True)
            try:
                reply = make()
                data = codec.encode(reply, self.max_payload)
                reply_env = Envelope(None, env.correlation)
            except Exception:
                self._count("handler_errors")
                log.exception("request handler for %s failed", msg.topic)
                data, reply_env = b"{}", failed
            try:
                self._send(env.response_topic, data, False, 1, reply_env)
            except BusUnavailable:
                self._count("replies_lost")
                log.warning("reply to a request on %s lost: bus unavailable", msg.topic)

        def deliver(msg: Inbound, payload: JsonObject) -> None:
            answer(msg, lambda: handler(msg.topic, payload))

        refused: Callable[[Inbound, str], None] | None = None
        if invalid is not None:
            on_invalid = invalid

            def refuse(msg: Inbound, reason: str) -> None:
                # A payload the bus could not decode still gets an answer when it says where
                # (the requester would otherwise wait out its deadline).
                answer(msg, lambda: on_invalid(msg.topic, reason))

            refused = refuse

        return self._add(
            topic_pattern, deliver, inline=inline and self._inline_capable, refused=refused
        )

    def request(self, topic: str, payload: Mapping[str, Any], *, timeout: float) -> JsonObject:
        topics.check_topic(topic)
        data = codec.encode(payload, self.max_payload)
        correlation = uuid.uuid4().bytes
        pending = _Pending()
        with self._lock:
            if not self._connected:
                raise BusUnavailable(f"{self._client_id}: not connected to the hall bus")
            self._pending[correlation] = pending
            self._counters["requests"] += 1
        # The broker drops the request once its requester has stopped waiting for this
        # attempt (MQTT 5 message expiry): a hub that comes back later never acts on it.
        wait = timeout
        ttl = payload.get("ttl_ms")
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl > 0:
            wait = min(wait, ttl / 1000)
        expiry = max(1, math.ceil(wait))
        try:
            self._send(
                topic, data, False, 1, Envelope(self.reply_topic, correlation, expiry=expiry)
            )
            if not pending.done.wait(timeout):
                self._count("request_timeouts")
                raise BusTimeout(f"no reply to a request on {topic} within {timeout:g} s")
        finally:
            with self._lock:
                self._pending.pop(correlation, None)
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def on_connection(self, callback: ConnectionCallback) -> None:
        with self._lock:
            self._callbacks.append(callback)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._transport_close()
        finally:
            self._link_changed(False)
            self._queue.put(None)
            if threading.current_thread() is not self._worker:
                self._worker.join(timeout=5)

    def __enter__(self) -> BusBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for transports --------------------------------------------------------------------

    @abstractmethod
    def _transport_publish(
        self, topic: str, data: bytes, retain: bool, qos: int, envelope: Envelope
    ) -> None:
        """Send or raise `BusUnavailable`."""

    @abstractmethod
    def _transport_subscribe(self, pattern: str, sub_id: int) -> None:
        """Subscribe now if connected (retained messages follow); else at the next connect."""

    @abstractmethod
    def _transport_unsubscribe(self, pattern: str) -> None: ...

    @abstractmethod
    def _transport_close(self) -> None: ...

    def _subscriptions(self) -> list[tuple[str, int]]:
        """Every pattern to (re)subscribe on connect, with its subscription identifier."""
        with self._lock:
            return list(self._sub_ids.items())

    def _receive(self, msg: Inbound) -> None:
        """Called by the transport for each inbound message, on its own thread."""
        if msg.topic != self.reply_topic:
            if msg.sub_ids and self._inline_ids and self._inline_ids.issuperset(msg.sub_ids):
                self._dispatch(msg)  # a request served inline: no hand-off to the worker
            else:
                self._queue.put(msg)
            return
        with self._lock:
            self._counters["received"] += 1
            pending = self._pending.get(msg.envelope.correlation or b"")
        if pending is None:
            self._count("replies_unmatched")
            return
        if msg.envelope.error:
            pending.error = BusRemoteError(f"{self._client_id}: the serving handler failed")
        else:
            pending.reply = self._decode(msg)
            if pending.reply is None:
                pending.error = BusRemoteError(f"{self._client_id}: the reply was malformed")
        pending.done.set()

    def _link_changed(self, up: bool) -> None:
        """Called by the transport after (re)connecting (resubscribed, birth sent) or losing
        the link. Fails the requests in flight when the link is lost."""
        with self._lock:
            if self._connected == up:
                return
            self._connected = up
            self._link.notify_all()
            callbacks = list(self._callbacks)
            failed = [] if up else list(self._pending.values())
        for pending in failed:
            pending.error = BusUnavailable(f"{self._client_id}: connection lost mid-request")
            pending.done.set()
        for callback in callbacks:
            self._queue.put(lambda cb=callback: cb(up))  # type: ignore[misc]

    # -- internals -------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._counters[name] += 1

    def _send(self, topic: str, data: bytes, retain: bool, qos: int, env: Envelope) -> None:
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
        self._transport_publish(topic, data, retain, qos, env)
        self._count("published")

    def _add(
        self,
        pattern: str,
        deliver: Deliver,
        *,
        inline: bool = False,
        refused: Callable[[Inbound, str], None] | None = None,
    ) -> _Handle:
        topics.check_pattern(pattern)
        handle = _Handle(self, pattern, deliver, refused)
        with self._sub_lock:
            with self._lock:
                known = pattern in self._handlers
                self._handlers.setdefault(pattern, []).append(handle)
                sub_id = self._sub_ids.get(pattern)
                if sub_id is None:
                    sub_id = self._sub_ids[pattern] = self._next_sub_id
                    self._next_sub_id += 1
                if inline and not known:
                    self._inline_ids.add(sub_id)
                else:
                    self._inline_ids.discard(sub_id)  # shared with a queued handler: queue
            # Subscribing again to a known pattern makes the broker resend its retained
            # messages, so the new handler sees them (the older ones see them again).
            self._transport_subscribe(pattern, sub_id)
        return handle

    def _remove(self, handle: _Handle) -> None:
        with self._sub_lock:
            with self._lock:
                handles = self._handlers.get(handle.pattern, [])
                if handle not in handles:
                    return
                handles.remove(handle)
                last = not handles
                if last:
                    del self._handlers[handle.pattern]
                    self._inline_ids.discard(self._sub_ids.pop(handle.pattern))
            if last:
                self._transport_unsubscribe(handle.pattern)

    def _decode(self, msg: Inbound) -> JsonObject | None:
        return self._decode_why(msg)[0]

    def _decode_why(self, msg: Inbound) -> tuple[JsonObject | None, str]:
        """The payload, or None and the counter that says why not."""
        try:
            return codec.decode(msg.data, self.max_payload), ""
        except codec.InvalidPayload as bad:
            if not msg.data:  # a cleared retained message passing by
                self._count("dropped_empty")
                return None, "dropped_empty"
            self._count(bad.reason)
            log.warning(
                "dropped a message on %s: %s (%d bytes)", msg.topic, bad.reason, len(msg.data)
            )
            return None, bad.reason

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, Inbound):
                self._dispatch(item)
                continue
            try:
                item()
            except Exception:
                self._count("handler_errors")
                log.exception("connection callback failed")

    def _dispatch(self, msg: Inbound) -> None:
        self._count("received")
        payload, why = self._decode_why(msg)
        with self._lock:
            if msg.sub_ids:
                wanted = [p for p, i in self._sub_ids.items() if i in msg.sub_ids]
            else:
                wanted = [p for p in self._handlers if topics.matches(p, msg.topic)]
            handles = [h for p in wanted for h in self._handlers.get(p, ())]
        if payload is None:
            if msg.data:
                for handle in handles:
                    if handle.refused is not None:
                        handle.refused(msg, why)
            return
        for handle in handles:
            try:
                handle.deliver(msg, payload)
            except Exception:
                self._count("handler_errors")
                log.exception("handler for %s failed on %s", handle.pattern, msg.topic)
