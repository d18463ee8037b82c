"""The lock that keeps a second writer out (`hall.singleton`): the same whatever path names
the database, and one clear line when its file cannot be opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.local import sample_config_dir
from hall.singleton import AlreadyRunning, LockFileError, hold_lock, lock_path


def test_a_symlinked_path_takes_the_same_lock(tmp_path: Path) -> None:
    real = tmp_path / "var" / "hall.db"
    real.parent.mkdir()
    real.touch()
    (tmp_path / "link.db").symlink_to(real)
    (tmp_path / "linkdir").symlink_to(real.parent)
    held = hold_lock(tmp_path / "link.db", "hub")
    try:
        assert lock_path(tmp_path / "linkdir" / "hall.db") == lock_path(real)
        for other in (real, tmp_path / "linkdir" / "hall.db", tmp_path / "linkdir/../var/hall.db"):
            with pytest.raises(AlreadyRunning) as refused:
                hold_lock(other, "`hall rebuild`")
            msg = str(refused.value)
            assert f"in use by hub (pid {os.getpid()}" in msg and "\n" not in msg
        with pytest.raises(AlreadyRunning, match="another hub is running"):
            hold_lock(real, "hub")
    finally:
        held.close()
    hold_lock(real, "hub").close()  # free again once the holder is gone
    assert not (tmp_path / "link.db.lock").exists()


def test_a_lock_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    (tmp_path / "hall.db.lock").mkdir()  # in the way (works for root too, unlike a chmod)
    with pytest.raises(LockFileError) as refused:
        hold_lock(db, "hub")
    msg = str(refused.value)
    assert "cannot open the lock file" in msg and str(tmp_path) in msg and "\n" not in msg


def test_hub_and_rebuild_say_so_in_one_line(tmp_path: Path) -> None:
    config = sample_config_dir(tmp_path / "config")
    runner = CliRunner()
    done = runner.invoke(cli, ["init", "--config", str(config)])
    assert done.exit_code == 0, done.output
    (config.parent / "hall.db.lock").unlink()
    (config.parent / "hall.db.lock").mkdir()
    for args in (["rebuild"], ["hub"]):
        r = runner.invoke(cli, [*args, "--config", str(config)])
        assert r.exit_code == 4, r.output
        lines = [x for x in r.output.splitlines() if x.strip()]
        assert len(lines) == 1 and "cannot open the lock file" in lines[0], r.output
