"""hall.files: a file replaced whole or not at all, with its mode from the first byte."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hall import files


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o000)  # a umask that would leave a key readable by everyone
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_is_private_and_an_old_one_keeps_its_mode(
    tmp_path: Path, open_umask: None
) -> None:
    new = tmp_path / "sync.toml"
    files.write_atomic(new, b"a = 1\n")
    assert new.read_bytes() == b"a = 1\n" and mode(new) == 0o600
    new.chmod(0o640)
    files.write_atomic(new, b"a = 2\n")
    assert new.read_bytes() == b"a = 2\n" and mode(new) == 0o640
    files.write_atomic(new, b"a = 3\n", mode=0o644)
    assert mode(new) == 0o644
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "hall.key"
    path.write_bytes(b"old")
    with pytest.raises(TypeError):
        files.write_atomic(path, "not bytes", mode=0o600)  # type: ignore[arg-type]
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_staged_files_appear_together_or_not_at_all(tmp_path: Path, open_umask: None) -> None:
    key, cert = tmp_path / "hall.key", tmp_path / "hall.crt"
    staged = [(files.stage(key, b"k", 0o600), key), (files.stage(cert, b"c", 0o644), cert)]
    assert not key.exists() and not cert.exists()
    assert [mode(tmp) for tmp, _ in staged] == [0o600, 0o644]  # final modes while temporary
    files.discard(staged)
    assert leftovers(tmp_path) == [] and not key.exists()
    staged = [(files.stage(key, b"k", 0o600), key), (files.stage(cert, b"c", 0o644), cert)]
    files.commit(staged)
    assert (key.read_bytes(), cert.read_bytes()) == (b"k", b"c")
    assert (mode(key), mode(cert)) == (0o600, 0o644) and leftovers(tmp_path) == []
