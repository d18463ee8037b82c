"""The MQTT client's life, without the MQTT library: its network thread, connecting and
reconnecting with backoff, subscriptions restored on every connect, acks, a silent broker
dropped, a clean goodbye. `hall.mqtt` gives it paho as its `Transport` (`MqttClient`).

Threads: one network thread per client runs the transport's loop; paho writes only there.
`publish`, `subscribe`, `unsubscribe` and `stop` may be called from any thread; the
callbacks (`on_message`, `on_up`, `on_down`) run on the network thread.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hall.backoff import Backoff
from hall.mqttvalues import Ack, AckTable, ConnectOptions, MqttUnavailable, PublishProps, Received

log = logging.getLogger(__name__)

MessageHandler = Callable[[Received], None]
Outgoing = tuple[str, bytes, int, bool]  # topic, payload, qos, retain


class Transport(Protocol):
    """One client of the MQTT library (one connection, or one for life with
    `keep_unacked`). It reports to its link: `connack`, `delivered`, `published`,
    `sub_answered`."""

    def connect(self) -> None:
        """Blocking: TCP, TLS handshake, CONNECT sent. Raises OSError or ValueError."""

    def loop(self, timeout: float) -> str:
        """Process network events for up to `timeout` s: "" while the connection holds,
        else why it ended."""
        ...

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        props: PublishProps,
    ) -> int:
        """Queue a message; its message id. Raises `MqttUnavailable` when refused."""
        ...

    def subscribe(self, pattern: str, qos: int, sub_id: int | None) -> int | None: ...

    def unsubscribe(self, patterns: list[str]) -> int | None: ...

    def ack(self, mid: int, qos: int) -> None: ...

    def disconnect(self) -> None: ...

    def close(self) -> None:
        """Close the socket without DISCONNECT (the broker sends the will)."""

    def socket(self) -> Any: ...


class MqttLink:
    DOWN, CONNECTING, UP = "down", "connecting", "up"

    def __init__(
        self,
        opts: ConnectOptions,
        transport: Callable[[MqttLink], Transport],
        on_message: MessageHandler,
        *,
        on_up: Callable[[bool], None] | None = None,
        on_down: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if opts.protocol not in ("5", "3.1.1"):
            raise ValueError(f"MQTT protocol must be 5 or 3.1.1, not {opts.protocol!r}")
        self.opts = opts
        self._make = transport
        self._handler = on_message
        self._on_up = on_up
        self._on_down = on_down
        self._clock = clock
        r = opts.reconnect
        self.backoff = Backoff(r.base, r.cap, first=r.first, rand=rand, stable_after=r.stable_after)
        self.state = self.DOWN
        names = ("connects", "connect_failures", "drops", "silent_broker", "handler_errors")
        self.stats: dict[str, int] = dict.fromkeys((*names, "received"), 0)
        self._lock = threading.Lock()  # the subscriptions, and the change to UP
        self._subs: dict[str, tuple[int, int | None]] = {}  # pattern -> qos, subscription id
        self._since = self._last_in = 0.0
        self._probe_at: float | None = None
        self._failures = 0  # connect attempts failed in a row
        self._attempts = 0
        self._stopping = threading.Event()
        self._stop_by = 0.0
        self._bye_sent = False  # DISCONNECT queued
        self._poll = min(1.0, opts.keepalive / 20) if opts.probe_topic else 1.0
        # the connection and its acks, swapped as one (another thread may be publishing)
        self._live: tuple[Transport, AckTable] = (transport(self), AckTable())
        self._thread = threading.Thread(
            target=self._run, name=f"mqtt-{opts.client_id}", daemon=True
        )

    @property
    def _conn(self) -> Transport:
        return self._live[0]

    @property
    def _acks(self) -> AckTable:
        return self._live[1]

    # --- public ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.state == self.UP

    def start(self) -> MqttLink:
        self._thread.start()
        return self

    def socket(self) -> Any:
        """The current socket, or None (for tests and diagnostics)."""
        return self._conn.socket()

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        user_properties: Sequence[tuple[str, str]] = (),
        expiry: int | None = None,
    ) -> Ack:
        """Queue a message for the network thread; its `Ack` (the PUBACK). Raises
        `MqttUnavailable` when not connected (nothing queued) or when the library refuses.
        `expiry`: MQTT 5 message expiry (s), after which the broker no longer delivers it."""
        conn, acks = self._live
        if self.state != self.UP:
            raise MqttUnavailable(f"{self.opts.client_id}: not connected to the {self.opts.label}")
        props = PublishProps(response_topic, correlation, tuple(user_properties), expiry)
        mid = conn.publish(topic, payload, qos, retain, props)
        return acks.expect(mid, Ack(resent=qos > 0 and self.opts.keep_unacked))

    def subscribe(self, pattern: str, *, qos: int = 1, sub_id: int | None = None) -> Ack | None:
        """Subscribe now and on every connect (`sub_id`: the MQTT 5 subscription identifier).
        The SUBACK's `Ack`, or None when not connected (the next connect subscribes it)."""
        with self._lock:
            self._subs[pattern] = (qos, sub_id)
            up = self.state == self.UP
        return self._send_subscribe(pattern, qos, sub_id) if up else None

    def unsubscribe(self, *patterns: str) -> Ack | None:
        """Forget the patterns; the UNSUBACK's `Ack`, or None when not connected."""
        with self._lock:
            for pattern in patterns:
                self._subs.pop(pattern, None)
            up = self.state == self.UP
        if not (up and patterns):
            return None
        conn, acks = self._live
        mid = conn.unsubscribe(list(patterns))
        return None if mid is None else acks.expect(mid, Ack())

    def stop(
        self, final: Sequence[Outgoing] = (), *, unsubscribe: bool = False, timeout: float = 2.0
    ) -> None:
        """Close cleanly (DISCONNECT: the broker does not send the will) and end the thread.
        First, if connected: with `unsubscribe`, stop the broker sending to us (a message it
        writes while our socket closes fails, and the broker then sends the will anyway);
        publish `final` and wait up to `timeout` s for their acks."""
        if self._stopping.is_set():
            self._join()
            return
        on_thread = threading.current_thread() is self._thread
        if self.state == self.UP and not on_thread:
            self._goodbye(final, unsubscribe, timeout)
        self._stop_by = self._clock() + timeout
        self._stopping.set()
        self._say_goodbye()
        if not on_thread:
            self._join()

    # --- for the transport (on the network thread) ----------------------------------------

    def connack(self, refused: str, session_present: bool) -> None:
        """The broker's CONNACK: `refused` is "" or its reason."""
        if refused:
            self._failed(f"the {self.opts.label} refused the connection: {refused}")
            self._lost("refused")
            return
        with self._lock:
            self.state = self.UP
            subs = list(self._subs.items())
        self._since = self._last_in = self._clock()
        self._probe_at = None
        self._failures = 0
        self.stats["connects"] += 1
        o = self.opts
        session = "" if o.clean_start else f" (session {'kept' if session_present else 'new'})"
        log.info("%s: connected to the %s %s:%d%s", o.client_id, o.label, o.host, o.port, session)
        for pattern, (qos, sub_id) in subs:
            self._send_subscribe(pattern, qos, sub_id)
        if self._on_up is not None:
            self._on_up(session_present)

    def delivered(self, msg: Received, mid: int) -> None:
        self._last_in = self._clock()
        self.stats["received"] += 1
        try:
            self._handler(msg)
        except Exception:
            self.stats["handler_errors"] += 1
            if self.opts.manual_ack:
                log.exception(
                    "%s: a message was not handled: not acknowledged", self.opts.client_id
                )
                self._lost("a message could not be handled")
                return
            log.exception("%s: a message handler failed", self.opts.client_id)
        if self.opts.manual_ack and msg.qos > 0:
            self._conn.ack(mid, msg.qos)

    def published(self, mid: int, reasons: tuple[str, ...], failed: bool) -> None:
        """A PUBACK (QoS 1), or a QoS 0 message written to the socket."""
        self._acks.answered(mid, reasons, failed)

    def sub_answered(self, mid: int, reasons: tuple[str, ...], failed: bool) -> None:
        """A SUBACK or UNSUBACK: the broker is alive."""
        self._last_in = self._clock()
        if failed:
            log.warning("%s: the %s refused: %s", self.opts.client_id, self.opts.label, reasons)
        self._acks.answered(mid, reasons, failed)

    # --- the network thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                if self._stopping.is_set():
                    if self.state != self.UP or self._clock() > self._stop_by:
                        break
                    self._say_goodbye()  # connected while stopping
                if self.state == self.DOWN:
                    if self._attempts and self._stopping.wait(self.backoff.next_delay()):
                        continue
                    self._attempt()
                    continue
                try:
                    ended = self._conn.loop(self._poll)
                except Exception:  # a callback failed: keep the network thread alive
                    log.exception("%s: error in the network loop", self.opts.client_id)
                    self._lost("internal error")
                    continue
                if ended:
                    if self._stopping.is_set():
                        break  # DISCONNECT written, socket closed
                    self._lost(f"connection lost ({ended})")
                    continue
                self._watch(self._clock())
        finally:
            self._finish()

    def _attempt(self) -> None:
        self.state = self.CONNECTING
        self._since = self._clock()
        if self._attempts and not self.opts.keep_unacked:
            self._conn.close()
            self._live = (self._make(self), AckTable())
        self._attempts += 1
        try:
            self._conn.connect()
        except (OSError, ValueError) as exc:
            self.state = self.DOWN
            self._failed(f"cannot reach {self.opts.host}:{self.opts.port}: {exc}")

    def _failed(self, why: str) -> None:
        self.stats["connect_failures"] += 1
        self._failures += 1
        level = logging.WARNING if self._failures == 1 else logging.INFO
        log.log(level, "%s: %s", self.opts.client_id, why)

    def _watch(self, now: float) -> None:
        if self.state == self.CONNECTING:
            if now - self._since > self.opts.connect_timeout:
                self._failed(f"no CONNACK from the {self.opts.label} in time")
                self._lost("no CONNACK in time")
            return
        if not self.opts.probe_topic:
            return
        idle = now - self._last_in
        ka = float(self.opts.keepalive)
        if idle >= ka:
            self.stats["silent_broker"] += 1
            self._lost(f"the {self.opts.label} said nothing for {idle:.1f} s")
        elif idle >= ka / 2 and (self._probe_at is None or now - self._probe_at >= ka / 2):
            self._probe_at = now
            mid = self._conn.unsubscribe([self.opts.probe_topic])
            if mid is not None:
                self._acks.expect(mid, Ack())  # nobody waits; its answer must not linger

    def _lost(self, why: str) -> None:
        if self.state == self.DOWN:
            return
        was_up = self.state == self.UP
        self.state = self.DOWN
        self._conn.close()
        self._acks.lost(everything=not self.opts.keep_unacked)
        if was_up:
            self.stats["drops"] += 1
            self.backoff.connected_for(self._clock() - self._since)
            log.warning("%s: lost the %s: %s", self.opts.client_id, self.opts.label, why)
            if self._on_down is not None:
                self._on_down()
        else:
            log.info("%s: connection attempt failed: %s", self.opts.client_id, why)

    def _finish(self) -> None:
        was_up = self.state == self.UP
        self.state = self.DOWN
        self._conn.close()
        self._acks.lost(everything=True)
        if was_up and self._on_down is not None:
            self._on_down()

    def _goodbye(self, final: Sequence[Outgoing], unsubscribe: bool, timeout: float) -> None:
        if unsubscribe:
            ack = self.unsubscribe(*list(self._subs))
            if ack is not None:
                ack.wait(min(1.0, timeout))
        acks: list[Ack] = []
        with contextlib.suppress(MqttUnavailable):
            for topic, data, qos, retain in final:
                acks.append(self.publish(topic, data, qos=qos, retain=retain))
        end = self._clock() + timeout
        for ack in acks:
            ack.wait(max(0.0, end - self._clock()))

    def _say_goodbye(self) -> None:
        if self.state == self.UP and not self._bye_sent:
            self._bye_sent = True
            self._conn.disconnect()

    def _join(self) -> None:
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=self.opts.connect_timeout + 5)

    def _send_subscribe(self, pattern: str, qos: int, sub_id: int | None) -> Ack | None:
        conn, acks = self._live
        mid = conn.subscribe(pattern, qos, sub_id)
        return None if mid is None else acks.expect(mid, Ack())
