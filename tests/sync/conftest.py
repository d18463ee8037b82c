"""Fixtures for the city link: a test PKI, a TLS city broker with ACLs, the city peer, a hall."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.local import LocalHall
from sync.city_peer.broker import CityBroker
from sync.city_peer.node import CityPeer
from sync.city_peer.pki import PLATFORM_CN, Pki, make_pki
from tests.sync.citykit import DIRECTORY, HALL_ID, hall_clock, make_hall, start_peer


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), clients=(PLATFORM_CN, HALL_ID, "410402-XH01"))


@pytest.fixture
def city_broker(tmp_path: Path, pki: Pki) -> Iterator[CityBroker]:
    broker = CityBroker(tmp_path / "city-broker", pki=pki).start()
    yield broker
    broker.close()


@pytest.fixture
def peer(tmp_path: Path, city_broker: CityBroker, pki: Pki) -> Iterator[CityPeer]:
    p = start_peer(tmp_path, city_broker, pki, directory=DIRECTORY)
    yield p
    p.stop()


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[LocalHall]:
    with make_hall(tmp_path / "hall", hall_clock()) as h:
        yield h
