"""The hall bus as role code sees it: one small protocol, two implementations.

Role code (kiosk, display, pad bus, hub) receives a `Bus` and never learns whether it is
the in-process one (`hall.bus.inproc`) or MQTT over the hall's Mosquitto (`hall.bus.mqtt`).

Payloads are JSON objects (UTF-8 on the wire). State travels as retained messages, commands
as request/response (MQTT 5 response topic + correlation data), presence as a retained
"birth" message published on every (re)connect and a will message for a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

JsonObject = dict[str, Any]

DEFAULT_MAX_PAYLOAD = 64 * 1024
"""Largest payload accepted, in bytes of encoded JSON (inbound and outbound)."""


class BusError(Exception):
    """Base of every error the bus raises."""


class BusUnavailable(BusError):
    """The client is not connected to the broker (or the connection dropped mid-request)."""


class BusTimeout(BusError):
    """No reply arrived before the request's deadline."""


class BusRemoteError(BusError):
    """The serving side's handler raised; it logged the cause, the requester gets this."""


class PayloadError(BusError, ValueError):
    """An outbound payload is not a JSON object, not serialisable, or too large."""


@dataclass(frozen=True, slots=True)
class Message:
    """One delivered message. `retained` is True when it came from the broker's retained
    store (on subscribe or resubscribe), False when it was published live."""

    topic: str
    payload: JsonObject = field(hash=False)  # shared by one client's handlers: read only
    retained: bool = False


@dataclass(frozen=True, slots=True)
class LastMessage:
    """A will or birth message: published by the broker on a client's unclean loss (will)
    or by the client itself on every (re)connect (birth)."""

    topic: str
    payload: Mapping[str, Any] = field(hash=False)
    retain: bool = True


class Subscription(Protocol):
    """Handle returned by `Bus.subscribe`."""

    def unsubscribe(self) -> None:
        """Stop delivering to this handler. Idempotent."""


MessageHandler = Callable[[Message], None]
RequestHandler = Callable[[str, JsonObject], JsonObject]
InvalidHandler = Callable[[str, str], JsonObject]
"""The reply to a request whose payload the bus could not decode: (topic, why) where why is
dropped_invalid_json, dropped_not_object or dropped_oversized."""
ConnectionCallback = Callable[[bool], None]


class Bus(Protocol):
    """What a role uses to talk over the hall bus.

    Handlers run on the bus's own delivery thread, one at a time, in arrival order; a
    handler may call `request()` or `publish()`. A handler that raises is logged and
    counted and does not stop delivery.
    """

    @property
    def client_id(self) -> str: ...

    @property
    def is_connected(self) -> bool: ...

    @property
    def stats(self) -> dict[str, int]:
        """A snapshot of the counters (received, dropped_*, handler_errors, …)."""
        ...

    def publish(
        self, topic: str, payload: Mapping[str, Any], *, retain: bool = False, qos: int = 1
    ) -> None:
        """Send a message. Raises `BusUnavailable` when not connected, `PayloadError` on a
        payload that is not a JSON object or exceeds the size limit."""
        ...

    def clear_retained(self, topic: str) -> None:
        """Remove the retained message on `topic` (an empty retained publish)."""
        ...

    def subscribe(self, pattern: str, handler: MessageHandler) -> Subscription:
        """Deliver messages matching `pattern` (MQTT wildcards `+` and `#`) to `handler`,
        starting with the retained ones. Survives reconnects."""
        ...

    def request(self, topic: str, payload: Mapping[str, Any], *, timeout: float) -> JsonObject:
        """Send a request and wait for its reply. Raises `BusTimeout` at the deadline,
        `BusUnavailable` when not connected or when the connection drops while waiting,
        `BusRemoteError` when the serving handler raised."""
        ...

    def serve(
        self,
        topic_pattern: str,
        handler: RequestHandler,
        *,
        inline: bool = False,
        invalid: InvalidHandler | None = None,
    ) -> Subscription:
        """Answer requests on `topic_pattern`: `handler(topic, payload)` returns the reply.

        `inline=True` asks for the handler to run on the network thread itself where the
        transport allows it (MQTT), saving two thread hand-offs per request; the handler
        must then be quick and never wait on the bus (no `request`, no `subscribe`).
        `invalid(topic, why)` gives the reply to a request whose payload is not a JSON object
        (or too large); without it such a request is dropped (and counted) unanswered."""
        ...

    def on_connection(self, callback: ConnectionCallback) -> None:
        """Call `callback(True)` on every (re)connect and `callback(False)` on every loss.
        Runs on the delivery thread, after resubscription and the birth message."""
        ...

    def close(self) -> None:
        """Disconnect cleanly (no will) and stop the threads. Idempotent."""
        ...
