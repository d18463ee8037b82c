"""A city broker for tests and demos: Mosquitto with TLS, client certificates whose CN is the
username (`use_identity_as_username`), and the contract's ACLs as patterns.

Built on `hall.bus.broker.MosquittoBroker` (start/stop/kill/restart on a free loopback port);
only the configuration differs. Without a `Pki` it is a plain loopback broker (benchmarks).
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from hall.bus.broker import MosquittoBroker
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

    def config_text(self) -> str:
        lines = [
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            "per_listener_settings false",
            f"listener {self.port} {self.host}",
            f"set_tcp_nodelay {'true' if self.nodelay else 'false'}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "max_queued_messages 10000",
            f"persistence {'true' if self.persistence else 'false'}",
        ]
        if self.persistence:
            data = self.directory / "data"
            lines += [
                f"persistence_location {data}/",
                f"autosave_interval {self.autosave_interval}",
            ]
        if self.pki is None:
            lines.append("allow_anonymous true")
        else:
            lines += [
                "allow_anonymous false",
                f"cafile {self.pki.ca}",
                f"certfile {self.pki.server.cert}",
                f"keyfile {self.pki.server.key}",
                "require_certificate true",
                "use_identity_as_username true",
            ]
        if self.acl:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.acl_path.write_text(ACL_TEXT, encoding="utf-8")
            lines.append(f"acl_file {self.acl_path}")
        return "\n".join(lines) + "\n"
