"""The 台账 cannot change without trace, and the hub never serves a database it cannot trust:
an edited event, a damaged page, a deleted WAL, a read-only file. Each scenario on real
files, through the store, the hub's start and the technician's `hall audit`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.config import load
from hall.core import chain
from hall.core import commands as c
from hall.core.timekeeping import FixedClock
from hall.store.head import head_path, read_head
from hall.store.integrity import audit, startup_check
from hall.store.store import HallStore
from tests.cli.helpers import hall
from tests.conftest import CATALOG, COUNTERS, HALL_ID, ROOT, TZ, at

EXAMPLE = ROOT / "config/examples/county-hall.toml"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "hall.toml")
    shutil.copy(ROOT / "config/examples/catalog.json", tmp_path / "catalog.json")
    return tmp_path


def a_morning(db: Path, n: int = 30, *, head: bool = True) -> HallStore:
    """A store (the hub's way: head file kept) after a morning's commands; left open."""
    clock = FixedClock(at("09:00"))
    cfg_rules = load(EXAMPLE).rules()
    store = HallStore(db, hall_id=HALL_ID, tz=TZ, rules=cfg_rules, clock=clock)
    store.setup(CATALOG, COUNTERS)
    if head:
        store.keep_head()
    store.execute(c.SignIn("1", "1024"))
    for i in range(n):
        clock.advance(20)
        store.execute(c.IssueTicket("SB-001"))
        if i % 3 == 0:
            clock.advance(5)
            store.execute(c.CallNext("1"))
    return store


def edit_event(db: Path, seq: int, old: bytes, new: bytes) -> None:
    """Change bytes of one event's JSON inside the file, as someone with a hex editor would."""
    conn = sqlite3.connect(db)
    data = conn.execute("SELECT data FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    conn.close()
    raw = db.read_bytes()
    at_ = raw.index(data.encode())
    assert old in data.encode()
    patched = data.encode().replace(old, new, 1)
    assert len(patched) == len(data.encode())
    db.write_bytes(raw[:at_] + patched + raw[at_ + len(patched) :])


def closed_copy(store: HallStore, dest: Path) -> Path:
    store.close()
    dest.mkdir()
    for p in store.path.parent.glob(store.path.name + "*"):
        shutil.copy(p, dest / p.name)
    return dest / store.path.name


def test_the_chain_matches_the_contracts_rule() -> None:
    body = {"seq": 1, "id": "x", "type": "ticket.printed", "at": "2026-11-27T09:00:00.000+08:00"}
    event = {**body, "data": {"number": "A001", "ticket_id": "t", "order_key": 1795741561.0}}
    canon = (
        b'{"at":"2026-11-27T09:00:00.000+08:00","data":{"number":"A001","order_key":1795741561,'
        b'"ticket_id":"t"},"id":"x","seq":1,"type":"ticket.printed"}'
    )
    assert chain.canonical(event) == canon
    import hashlib

    assert chain.link(chain.GENESIS, event) == hashlib.sha256(b"0" * 64 + canon).hexdigest()
    assert chain.canonical({"名": "张*"}) == '{"名":"张*"}'.encode()


def test_an_intact_log_verifies_and_one_changed_byte_names_the_seq(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    store = a_morning(tmp_path / "live" / "hall.db")
    db = closed_copy(store, tmp_path / "copy")
    with sqlite3.connect(db) as conn:
        assert audit(conn).clean and audit(conn).events > 40
        seq, data = conn.execute(
            "SELECT seq, data FROM events WHERE type = 'ticket.issued' "
            "ORDER BY seq LIMIT 1 OFFSET 5"
        ).fetchone()
    assert '"serial":6,' in data  # the canonical JSON the chain is over
    edit_event(db, seq, b'"serial":6,', b'"serial":9,')  # one byte
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # SQLite can't see it
        findings = audit(conn).findings
    assert [(f.code, f.seq) for f in findings] == [("chain_broken", seq)]
    assert [f.code for f in startup_check(db)] == ["chain_broken"]


def test_hall_audit_verify_and_the_hub_refusing_an_edited_log(site: Path) -> None:
    cfg = ["--config", str(site / "hall.toml")]
    assert hall("init", *cfg, cwd=site).returncode == 0
    r = hall("audit", "verify", *cfg, cwd=site)
    assert r.returncode == 0 and r.stdout.startswith("intact"), r.stdout + r.stderr
    db = site / "hall.db"
    with sqlite3.connect(db) as conn:
        (seq,) = conn.execute(
            "SELECT seq FROM events WHERE type = 'counters.configured'"
        ).fetchone()
    edit_event(db, seq, b'"1"', b'"7"')
    r = hall("audit", "verify", *cfg, cwd=site)
    assert r.returncode == 1 and f"first break at seq {seq}" in r.stdout, r.stdout
    r = hall("hub", *cfg, cwd=site, timeout=30)
    assert r.returncode == 4, r.stderr
    assert f"event {seq} (counters.configured) was changed" in r.stderr
    assert "Traceback" not in r.stderr
    r = hall("rebuild", "--check", *cfg, cwd=site)
    assert "Traceback" not in r.stderr


def test_a_row_that_is_not_json_is_named_not_a_traceback(site: Path) -> None:
    cfg = ["--config", str(site / "hall.toml")]
    assert hall("init", *cfg, cwd=site).returncode == 0
    db = site / "hall.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events SET data = '{broken' WHERE seq = 2")
    r = hall("rebuild", "--check", *cfg, cwd=site)
    assert r.returncode == 1 and "event seq 2" in r.stdout and "Traceback" not in r.stderr
    r = hall("audit", "verify", *cfg, cwd=site)
    assert r.returncode == 1 and "seq 2" in r.stdout


def test_a_damaged_page_stops_the_hub(site: Path) -> None:
    cfg = ["--config", str(site / "hall.toml")]
    assert hall("init", *cfg, cwd=site).returncode == 0
    db = site / "hall.db"
    raw = bytearray(db.read_bytes())
    page = 4096
    assert len(raw) > 3 * page
    raw[2 * page : 2 * page + 64] = b"\xff" * 64  # a page's b-tree header, overwritten
    db.write_bytes(bytes(raw))
    assert [f.code for f in startup_check(db)] == ["damaged"]
    r = hall("hub", *cfg, cwd=site, timeout=30)
    assert r.returncode == 4 and "damaged" in r.stderr and "Traceback" not in r.stderr


def test_a_deleted_wal_is_noticed_and_no_number_is_issued_twice(site: Path) -> None:
    cfg_path = site / "hall.toml"
    db = site / "hall.db"
    store = a_morning(db, 60)
    issued_before = {e.data["number"] for e in store.events_since(0) if e.type == "ticket.issued"}
    assert store.head is not None
    store.head.flush()  # what the checkpoint thread does every second
    # the WAL is lost: only the main file as it stood, and the head file beside it
    lost = site / "lost"
    lost.mkdir()
    shutil.copy(db, lost / "hall.db")
    shutil.copy(head_path(db), head_path(lost / "hall.db"))
    store.conn.close()
    for p in site.glob("hall.db*"):
        p.unlink()
    for p in lost.iterdir():
        shutil.move(p, site / p.name)
    head = read_head(head_path(db))
    assert head is not None and head.seq > 100
    findings = startup_check(db)
    assert [f.code for f in findings] == ["events_lost"]
    assert "accept-loss" in findings[0].message
    r = hall("hub", "--config", str(cfg_path), cwd=site, timeout=30)
    assert r.returncode == 4 and "confirmed events were lost" in r.stderr
    r = hall("audit", "accept-loss", "--config", str(cfg_path), cwd=site)
    assert r.returncode == 0 and "--yes" in r.stdout  # says what it would do first
    assert f"events 1–{head.seq}" in r.stdout  # the WAL held the whole morning
    # accepted the way `hall audit accept-loss --yes` does it, on the morning's clock
    clock = FixedClock(at("10:30"))
    cfg = load(cfg_path)
    with HallStore(db, hall_id=cfg.hall.id, tz=TZ, rules=cfg.rules(), clock=clock) as again:
        again.execute(c.AcceptLoss(head.seq, head.day, dict(head.reserved)))
        again.keep_head()
    assert startup_check(db) == []
    with HallStore(db, hall_id=cfg.hall.id, tz=TZ, rules=cfg.rules(), clock=clock) as again:
        again.setup(CATALOG, COUNTERS)  # as the hub does at every start
        assert again.state.last_seq > head.seq
        after = [again.execute(c.IssueTicket("SB-001")).result["number"] for _ in range(3)]
    assert not set(after) & issued_before, (after, sorted(issued_before)[-3:])
    assert after[0] == f"A{head.reserved['A'] + 1:03d}"


def as_other_user(fn: Callable[[], object]) -> object:
    """Run `fn` in a forked child as `nobody` (CI runs as root, for whom nothing is read-only);
    as another user already, in a child as it is."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no exec, the modules are already imported
        try:
            os.close(r)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                out = fn()
            except Exception as exc:  # say it, do not die silently
                out = f"{type(exc).__name__}: {exc}"
            os.write(w, json.dumps(out, default=str).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read()
    os.waitpid(pid, 0)
    return json.loads(out)


def test_a_read_only_database_is_refused_in_one_line() -> None:
    folder = Path(tempfile.mkdtemp(prefix="hall-ro-"))  # outside pytest's root-only folders
    store = a_morning(folder / "hall.db", 3, head=False)
    store.close()
    os.chmod(folder, 0o755)
    os.chmod(folder / "hall.db", 0o644 if os.geteuid() == 0 else 0o444)
    found = as_other_user(lambda: [(f.code, f.message) for f in startup_check(folder / "hall.db")])
    assert isinstance(found, list) and len(found) == 1, found
    code, message = found[0]
    assert code == "read_only" and "\n" not in message
    assert "write access" in message or "not writable" in message
    shutil.rmtree(folder)
