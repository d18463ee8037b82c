"""`hall migrate`: a backup first, the migration, and the backup put back when it fails."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.ops.cli import migrate
from appliance.ops.migrate import MigrationError, migrate_database
from hall.core.timekeeping import FixedClock
from hall.store import schema
from tests.conftest import at


@pytest.fixture
def db(make_store, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    from hall.core import commands as c

    store = make_store(FixedClock(at("09:30")))
    store.execute(c.IssueTicket(service="SB-001"), "k1")
    store.close()
    return tmp_path / "hall.db"


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_current_schema_is_backed_up_and_left_alone(db: Path, tmp_path: Path) -> None:
    before = dump(db)
    out = migrate_database(db, tmp_path / "backups")
    assert out.from_version == out.to_version == schema.SCHEMA_VERSION and not out.changed
    assert out.backup is not None and dump(out.backup) == before
    assert dump(db) == before


def test_older_schema_is_migrated(db: Path, tmp_path: Path) -> None:
    calls: list[int] = []

    def step(conn: sqlite3.Connection) -> int:
        calls.append(1)
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
        return schema.SCHEMA_VERSION

    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION - 1}")
    conn.close()
    out = migrate_database(db, tmp_path / "backups", migrator=step)
    assert calls and out.changed and out.from_version == schema.SCHEMA_VERSION - 1


def test_failed_migration_restores_the_backup(db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION - 1}")
    conn.close()
    before = dump(db)

    def half_done(conn: sqlite3.Connection) -> int:
        conn.execute("DROP TABLE tickets")  # committed at once: autocommit
        conn.execute("CREATE TABLE tickets_v2 (x)")
        raise sqlite3.OperationalError("migration 7 failed half way")

    with pytest.raises(MigrationError, match="restored from"):
        migrate_database(db, tmp_path / "backups", migrator=half_done)
    assert dump(db) == before
    assert not Path(f"{db}-wal").exists()


def test_the_restored_database_keeps_its_owner_and_mode(db: Path, tmp_path: Path) -> None:
    """install.sh migrates as root: the copy put back must stay the service user's."""
    import os

    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION - 1}")
    conn.close()
    os.chmod(db, 0o640)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    if os.geteuid() == 0:
        os.chown(db, *owner)

    def broken(conn: sqlite3.Connection) -> int:
        raise sqlite3.OperationalError("no such table: no_such_table")

    with pytest.raises(MigrationError):
        migrate_database(db, tmp_path / "backups", migrator=broken)
    st = db.stat()
    assert (st.st_uid, st.st_gid) == owner and st.st_mode & 0o777 == 0o640


def test_newer_schema_is_refused_untouched(db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    before = dump(db)
    with pytest.raises(MigrationError, match="newer than this software"):
        migrate_database(db, tmp_path / "backups")
    assert dump(db) == before
    assert not (tmp_path / "backups").exists()


def test_old_backups_are_pruned(db: Path, tmp_path: Path) -> None:
    for _ in range(7):
        migrate_database(db, tmp_path / "backups", keep=3)
    assert len(list((tmp_path / "backups").glob("hall-*.db"))) == 3


def test_cli(db: Path, tmp_path: Path) -> None:
    from appliance.local import sample_config_dir

    config = sample_config_dir(tmp_path / "etc")
    config.write_text(config.read_text().replace('database = "hall.db"', f'database = "{db}"'))
    res = CliRunner().invoke(migrate, ["--config", str(config), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["ok"] and Path(out["backup"]).parent == db.parent / "backups"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    res = CliRunner().invoke(migrate, ["--config", str(config)])
    assert res.exit_code == 4 and "newer than this software" in res.output
