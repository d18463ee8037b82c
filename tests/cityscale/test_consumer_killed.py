"""Two city consumer processes on one shared subscription, halls' real city-link code
replaying backlogs over TLS with the contract's ACL; one consumer is SIGKILLed while batches
flow and started again: every hall's events end up stored once each, none lost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.cityscale.city import City, count
from bench.cityscale.eventlog import EventLog, city_mix, template
from bench.cityscale.halls import SimHall
from bench.cityscale.mux import Mux
from sync.city_peer.pki import PLATFORM_CN, make_pki
from sync.city_peer.store import CityStore
from sync.settings import SyncSection

HALLS = 6
BACKLOG = 4000


def wait_until(cond: Callable[[], Any], timeout: float, step: float = 0.02) -> Any:
    end = time.monotonic() + timeout
    while not (got := cond()):
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s")
        time.sleep(step)
    return got


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[City, list[SimHall], Mux]]:
    specs = city_mix(HALLS)
    pki = make_pki(tmp_path / "pki", clients=(PLATFORM_CN, *(s.hall_id for s in specs)))
    c = City(tmp_path / "city", pki, consumers=2).start()
    mux = Mux()
    tmpl = template(tmp_path)
    halls = []
    for spec in specs:
        ident = pki.client(spec.hall_id)
        s = SyncSection(
            broker_url=f"mqtts://127.0.0.1:{c.broker.port}",
            ca_file=str(pki.ca),
            cert_file=str(ident.cert),
            key_file=str(ident.key),
            ack_timeout_s=3.0,
            backlog_rate=1000,  # 4 s at least: the kill falls while batches flow
        )
        log = EventLog(spec, tmp_path, tmpl)
        log.append(BACKLOG)
        halls.append(SimHall(spec, log, tmp_path, s, mux, []))
    yield c, halls, mux
    mux.stop()
    for h in halls:
        h.close()
    c.stop()


def stored(c: City) -> int:
    store = CityStore(c.db)
    try:
        return int(store.query("SELECT COUNT(*) FROM events")[0][0])
    finally:
        store.close()


def test_a_consumer_killed_mid_batch_loses_nothing_stores_nothing_twice(
    city: tuple[City, list[SimHall], Mux],
) -> None:
    c, halls, mux = city
    total = HALLS * BACKLOG
    mux.start()
    wait_until(lambda: 0 < stored(c) < total // 4, 60, step=0.005)
    victim = c.consumers[1]
    victim.kill()  # SIGKILL, batches in its hands and in its session
    assert victim.proc is not None and victim.proc.returncode == -9
    assert stored(c) < total  # it was killed while batches flowed
    victim.start()
    wait_until(lambda: all(not h.busy() for h in halls), 120, step=0.1)
    store = CityStore(c.db)
    got = count(store, {h.hall_id: h.head for h in halls})
    counters = store.counters()
    store.close()
    assert (got.lost, got.twice, got.events) == (0, 0, total)
    assert counters["events_stored"] == total
    for h in halls:
        assert h.sender.acked == h.head == BACKLOG
