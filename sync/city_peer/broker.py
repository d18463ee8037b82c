"""A city broker for tests and demos: Mosquitto with TLS, client certificates whose CN is the
username (`use_identity_as_username`), and the contract's ACLs as patterns.

It is `hall.bus.broker.MosquittoBroker` (start/stop/kill/restart on a free loopback port)
with its configuration extended; without a `Pki` it is a plain loopback broker (benchmarks).

The city settings (`CITY_SETTINGS`, measured by bench/city_scale.py, docs/CITY_SCALE.md):
- `max_queued_messages 100000`: per client, what waits while its in-flight window is full or
  it is away. Mosquitto's default (1000) drops the city consumer's messages in a storm (the
  first measurement of issue 19 lost 872 of 2,000 batches); a hall's own queue (its acks,
  appointment pages) stays small whatever the limit. The bytes bound below is the guard;
- `max_queued_bytes 512 MB`: per client, so a consumer that stops reading cannot take the
  broker's memory (the halls send again what was dropped: the events-ack rule);
- `max_inflight_messages 100`: QoS 1 messages out to one client and not yet PUBACKed: a
  consumer's throughput is window / round trip; a hall never has more than a few acks out;
- `persistent_client_expiration 7d`: the contract's session expiry, for 3.1.1 clients too;
- persistence (`persistence=True`): sessions and retained messages (cloud/status, catalogs,
  directory) survive a broker restart.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hall.bus.broker import BrokerTls, MosquittoBroker, MosquittoConfig
from sync.city_peer.pki import PLATFORM_CN, Pki

ACL_TEXT = f"""# The city platform reads and writes everything under cityq/.
user {PLATFORM_CN}
topic readwrite cityq/#

# Every hall: %u is the username, i.e. the CN of its certificate, i.e. its hall id.
pattern write cityq/v1/halls/%u/up/#
pattern read cityq/v1/halls/%u/down/#
pattern read cityq/v1/directory
pattern read cityq/v1/cloud/status
pattern read cityq/v1/halls/+/up/load
"""


def acl_text() -> str:
    return ACL_TEXT


CITY_SETTINGS = (
    "max_inflight_messages 100",
    "max_queued_bytes 536870912",
    "persistent_client_expiration 7d",
)


class CityBroker(MosquittoBroker):
    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        pki: Pki | None = None,
        acl: bool = True,
        port: int | None = None,
        persistence: bool = False,
        autosave_interval: int = 1,
    ) -> None:
        super().__init__(
            directory, port=port, persistence=persistence, autosave_interval=autosave_interval
        )
        self.pki = pki
        self.acl = acl and pki is not None

    @property
    def acl_path(self) -> Path:
        return self.directory / "acl"

    def config(self) -> MosquittoConfig:
        base = replace(super().config(), max_queued_messages=100000)
        if self.pki is None:
            return base
        return replace(
            base,
            anonymous=False,
            tls=BrokerTls(self.pki.ca, self.pki.server.cert, self.pki.server.key),
            acl_file=self.acl_path if self.acl else None,
        )

    def config_text(self) -> str:
        return super().config_text() + "\n".join(CITY_SETTINGS) + "\n"

    def prepare(self) -> None:
        if self.acl:
            self.acl_path.write_text(ACL_TEXT, encoding="utf-8")
