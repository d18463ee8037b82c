"""The simulator's per-hall count (bench/cityscale/city.py) finds what is injected: an event
missing from the city's store (lost), one hall event stored under two seqs, a seq past the
hall's log (stored twice); and counts a clean store as clean."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cityscale.city import count
from bench.cityscale.eventlog import EventLog, city_mix, template
from sync.city_peer import events
from sync.city_peer.store import CityStore


def _store_all(store: CityStore, log: EventLog) -> None:
    conn = log._open()
    rows = conn.execute("SELECT seq, id, type, at, data, h FROM events ORDER BY seq").fetchall()
    conn.close()
    evs = [
        {"seq": r[0], "id": r[1], "type": r[2], "at": r[3], "data": json.loads(r[4]), "h": r[5]}
        for r in rows
    ]
    batch = {
        "v": 1,
        "hall_id": log.spec.hall_id,
        "first_seq": 1,
        "last_seq": len(evs),
        "events": evs,
    }
    with store.tx() as c:
        answer = events.store_batch(c, log.spec.hall_id, batch)
    assert answer.acked_through == len(evs)
    assert answer.rejected == ()  # the generator's h chain is the contract's


def _city(tmp_path: Path, n: int = 3) -> tuple[CityStore, list[EventLog]]:
    tmpl = template(tmp_path)
    logs = [EventLog(s, tmp_path, tmpl) for s in city_mix(n)]
    for i, log in enumerate(logs):
        log.append(5 + i)
    store = CityStore(tmp_path / "city.db")
    for log in logs:
        _store_all(store, log)
    return store, logs


def test_a_clean_store_counts_clean(tmp_path: Path) -> None:
    store, logs = _city(tmp_path)
    c = count(store, {log.spec.hall_id: log.head for log in logs})
    assert (c.lost, c.twice, c.events) == (0, 0, sum(log.head for log in logs))


def test_a_missing_event_is_lost(tmp_path: Path) -> None:
    store, logs = _city(tmp_path)
    victim = logs[1].spec.hall_id
    with store.tx() as c:
        c.execute("DELETE FROM events WHERE hall_id = ? AND seq = 3", (victim,))
    c = count(store, {log.spec.hall_id: log.head for log in logs})
    assert (c.lost, c.twice, c.halls_lost) == (1, 0, (victim,))


def test_events_the_city_never_got_are_lost(tmp_path: Path) -> None:
    store, logs = _city(tmp_path)
    logs[0].append(4)  # written after the city stored: not acked, not stored
    c = count(store, {log.spec.hall_id: log.head for log in logs})
    assert (c.lost, c.halls_lost) == (4, (logs[0].spec.hall_id,))


def test_one_event_under_two_seqs_is_stored_twice(tmp_path: Path) -> None:
    store, logs = _city(tmp_path)
    hall = logs[2].spec.hall_id
    with store.tx() as c:
        row = c.execute("SELECT * FROM events WHERE hall_id = ? AND seq = 2", (hall,)).fetchone()
        c.execute("DELETE FROM events WHERE hall_id = ? AND seq = 4", (hall,))
        c.execute("INSERT INTO events VALUES (?, 4, ?, ?, ?, ?, ?, ?)", (hall, *tuple(row)[2:]))
    c = count(store, {log.spec.hall_id: log.head for log in logs})
    assert (c.twice, c.halls_twice) == (1, (hall,))


def test_a_seq_past_the_log_is_stored_twice(tmp_path: Path) -> None:
    store, logs = _city(tmp_path)
    hall = logs[0].spec.hall_id
    with store.tx() as c:
        c.execute(
            "INSERT INTO events VALUES (?, ?, 'x', 'ticket.issued', 'at', '{}', NULL, 0)",
            (hall, logs[0].head + 1),
        )
    c = count(store, {log.spec.hall_id: log.head for log in logs})
    assert (c.lost, c.twice, c.halls_twice) == (0, 1, (hall,))
