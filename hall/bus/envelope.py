"""What travels with a message on the hall bus besides topic and payload: the MQTT 5
properties the bus uses (:class:`Envelope`) and an inbound message as a transport hands it
to the bus (:class:`Inbound`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hall.bus.interface import JsonObject


@dataclass(frozen=True, slots=True)
class Envelope:
    """The MQTT 5 properties the bus uses besides topic and payload."""

    response_topic: str | None = None
    correlation: bytes | None = None
    error: bool = False  # a reply whose serving handler raised
    expiry: int | None = None  # MQTT 5 message expiry (s): a request nobody waits for any more


NO_ENVELOPE = Envelope()


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    data: bytes
    retained: bool
    envelope: Envelope
    sub_ids: tuple[int, ...]  # MQTT 5 subscription identifiers, () if the broker sent none


Deliver = Callable[[Inbound, JsonObject], None]
