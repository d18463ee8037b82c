"""The hall bus: one small interface (`Bus`), in-process and MQTT implementations.

`hall.bus.mqtt` (on `hall.mqtt`, the one module that imports paho) and `hall.bus.broker`
(a private Mosquitto) are imported on demand so that code using the in-process bus never
loads paho.
"""

from hall.bus.interface import (
    DEFAULT_MAX_PAYLOAD,
    Bus,
    BusError,
    BusRemoteError,
    BusTimeout,
    BusUnavailable,
    LastMessage,
    Message,
    PayloadError,
    Subscription,
)

__all__ = [
    "DEFAULT_MAX_PAYLOAD",
    "Bus",
    "BusError",
    "BusRemoteError",
    "BusTimeout",
    "BusUnavailable",
    "LastMessage",
    "Message",
    "PayloadError",
    "Subscription",
]
