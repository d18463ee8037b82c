"""The values of the MQTT client (`hall.mqtt`), without paho: what to connect to and how,
what arrived, and the broker's answer to one packet (`Ack`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field


class MqttUnavailable(Exception):
    """Not connected to the broker (nothing was sent), or paho refused the packet."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """TLS 1.2+ to the broker: its CA, and this box's client certificate and key (optional
    for a broker that does not ask for one)."""

    ca: str
    cert: str = ""
    key: str = ""
    # Off for a broker whose certificate is the only one its private CA ever signs (the
    # hall bus: the hall's own CA, made on the hub box); the chain is checked all the same.
    check_hostname: bool = True


@dataclass(frozen=True, slots=True)
class PublishProps:
    """The MQTT 5 properties of one publish (ignored under 3.1.1)."""

    response_topic: str | None = None
    correlation: bytes | None = None
    user: tuple[tuple[str, str], ...] = ()
    expiry: int | None = None  # Message Expiry Interval (s): the broker drops it later


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class Reconnect:
    """Full-jitter backoff between attempts (`hall.backoff.Backoff`): uniform in
    [0, min(cap, base · 2^n)]; after a connection that held `stable_after` seconds, the first
    retry waits at most `first` seconds (default: `base`)."""

    base: float = 1.0
    cap: float = 300.0
    first: float | None = None
    stable_after: float = 60.0


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    host: str
    port: int
    client_id: str
    protocol: str = "5"  # "5" or "3.1.1"
    tls: TlsFiles | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    keepalive: int = 30
    clean_start: bool = True
    session_expiry: int | None = None  # MQTT 5: how long the broker keeps the session (s)
    connect_timeout: float = 10.0  # TCP + TLS + CONNACK
    will: Will | None = None
    nodelay: bool = True  # TCP_NODELAY: Nagle adds 40-90 ms to a small round trip
    max_inflight: int = 20  # QoS > 0 publishes sent and not yet acknowledged
    reconnect: Reconnect = Reconnect()
    # Inbound QoS > 0 acknowledged only after the handler returned; a handler that raises
    # gets no PUBACK and the link is dropped, so the broker sends the message again.
    manual_ack: bool = False
    # One paho client for life: QoS > 0 publishes not yet acknowledged when the link drops
    # are sent again after the reconnect. Off: a fresh paho client per connection, paho's
    # in-memory session forgotten (what must be sent again, its owner sends again).
    keep_unacked: bool = False
    # A silent broker: after keepalive/2 without a packet from it an UNSUBSCRIBE of this
    # topic is sent (the broker must answer), after a keepalive of silence the link drops.
    probe_topic: str = ""
    label: str = "broker"  # how the logs name the other side


@dataclass(frozen=True, slots=True)
class Received:
    """One inbound message with the MQTT 5 properties the appliance uses."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    response_topic: str | None = None
    correlation: bytes | None = None
    user_properties: tuple[tuple[str, str], ...] = ()
    subscription_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectResult:
    """One connection attempt (`hall.mqtt.try_connect`). `problem` is "" when connected, else
    one of tls_files, tls, unreachable, timeout, closed, refused; `detail` says more."""

    problem: str
    detail: str
    millis: float = 0.0
    tls_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


class Ack:
    """The broker's answer to one packet: PUBACK for a QoS 1 publish (a QoS 0 one is done
    when written to the socket), SUBACK, UNSUBACK; or the loss of the connection first.

    `wait(timeout)` blocks until then; `ok` is True for an answer without a failure reason
    code; `reason` names the reason codes ("Success", "Not authorized", …) or the loss."""

    __slots__ = ("_event", "failed", "lost", "reasons", "resent")

    def __init__(self, *, resent: bool = False) -> None:
        self._event = threading.Event()
        self.reasons: tuple[str, ...] = ()
        self.failed = False
        self.lost = False
        self.resent = resent  # paho sends it again after a reconnect: a loss does not end it

    def wait(self, timeout: float | None = None) -> bool:
        """True when the answer (or the loss) came within `timeout` seconds."""
        return self._event.wait(timeout)

    @property
    def done(self) -> bool:
        return self._event.is_set()

    @property
    def ok(self) -> bool:
        return self.done and not self.lost and not self.failed

    @property
    def reason(self) -> str:
        if self.lost:
            return "connection lost"
        return ", ".join(self.reasons) if self.done else "no answer yet"

    def complete(self, reasons: tuple[str, ...], failed: bool, *, lost: bool = False) -> None:
        self.reasons = reasons
        self.failed = failed
        self.lost = lost
        self._event.set()


class AckTable:
    """The acks expected on one connection, by message id. An answer can arrive before its
    sender registered the id (the network thread runs meanwhile): it waits here for it."""

    EARLY_MAX = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Ack] = {}
        self._early: OrderedDict[int, tuple[tuple[str, ...], bool]] = OrderedDict()

    def expect(self, mid: int, ack: Ack) -> Ack:
        with self._lock:
            early = self._early.pop(mid, None)
            if early is None:
                self._waiting[mid] = ack
                return ack
        ack.complete(*early)
        return ack

    def answered(self, mid: int, reasons: tuple[str, ...], failed: bool) -> None:
        with self._lock:
            ack = self._waiting.pop(mid, None)
            if ack is None:
                self._early[mid] = (reasons, failed)
                while len(self._early) > self.EARLY_MAX:
                    self._early.popitem(last=False)
                return
        ack.complete(reasons, failed)

    def lost(self, *, everything: bool) -> None:
        """The connection is gone: fail every ack that will not come now (all of them, or
        all but the publishes paho sends again after the reconnect)."""
        with self._lock:
            kept = {m: a for m, a in self._waiting.items() if a.resent and not everything}
            gone = [a for m, a in self._waiting.items() if m not in kept]
            self._waiting = kept
            self._early.clear()
        for ack in gone:
            ack.complete((), False, lost=True)
