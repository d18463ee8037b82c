"""A city broker for tests and demos: Mosquitto with TLS, client certificates whose CN is the
username (`use_identity_as_username`), and the contract's ACLs as patterns.

It is `hall.bus.broker.MosquittoBroker` (start/stop/kill/restart on a free loopback port)
with its configuration extended; without a `Pki` it is a plain loopback broker (benchmarks).
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
        base = replace(super().config(), max_queued_messages=10000)
        if self.pki is None:
            return base
        return replace(
            base,
            anonymous=False,
            tls=BrokerTls(self.pki.ca, self.pki.server.cert, self.pki.server.key),
            acl_file=self.acl_path if self.acl else None,
        )

    def prepare(self) -> None:
        if self.acl:
            self.acl_path.write_text(ACL_TEXT, encoding="utf-8")
