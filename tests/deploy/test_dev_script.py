"""scripts/dev's failure paths, on a copy of the script beside a stub virtual environment:
every failed step stops the command with its own one-line message, pip's output is shown whole
when it fails and not at all when it works, and an install whose `hall` does not start fails
(issue 20). The real install runs in scripts/fresh-check."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The stub venv's programs; FAIL names the ones that fail (comma-separated), LOG records calls.
STUB = """#!/usr/bin/env bash
name=$(basename "$0")
[[ $name == python && $1 == -m && $2 == pip ]] && name="pip $3"
echo "$name $*" >> "$LOG"
case ",$FAIL," in *",${name// /-},"*)
  echo "$name: a long error, line 1"; echo "$name: Failed building wheel for evdev"; exit 3 ;;
esac
[[ $name == "pip install" ]] && echo "WARNING: pip chatter that must not be shown"
exit 0
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A folder with scripts/dev, a stub .venv and a PATH whose dpkg-query says: installed."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts/dev", tmp_path / "scripts/dev")
    bindir = tmp_path / ".venv/bin"
    bindir.mkdir(parents=True)
    for name in ("python", "hall", "ruff", "mypy", "pytest"):
        (bindir / name).write_text(STUB)
        (bindir / name).chmod(0o755)
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "dpkg-query").write_text("#!/bin/sh\nprintf 'install ok installed'\n")
    (tools / "dpkg-query").chmod(0o755)
    return tmp_path


def dev(repo: Path, command: str, fail: str = "") -> tuple[subprocess.CompletedProcess[str], str]:
    log = repo / "calls.log"
    log.write_text("")
    env = {
        "PATH": f"{repo / 'tools'}:{os.environ['PATH']}",
        "HOME": str(repo),
        "FAIL": fail,
        "LOG": str(log),
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        ["bash", str(repo / "scripts/dev"), command],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done, log.read_text()


def test_all_steps_pass_and_pip_says_nothing(repo: Path) -> None:
    done, calls = dev(repo, "test")
    assert done.returncode == 0, done.stderr
    assert "pip chatter" not in done.stdout + done.stderr
    assert [ln.split()[0] for ln in calls.splitlines()] == [
        "python",  # the venv works
        "pip",  # upgrade pip
        "pip",  # install -e .[test]
        "hall",  # hall --version, from another folder
        "ruff",
        "ruff",
        "mypy",
        "pytest",
    ]
    assert "hall --version" in calls


@pytest.mark.parametrize(
    ("fails", "message", "not_run"),
    [
        ("ruff", "ruff check failed (exit 3)", "mypy"),
        ("mypy", "mypy failed (exit 3)", "pytest"),
        ("hall", "the installed .venv/bin/hall does not start", "ruff"),
    ],
)
def test_a_failed_step_stops_the_command(
    repo: Path, fails: str, message: str, not_run: str
) -> None:
    done, calls = dev(repo, "test", fail=fails)
    assert done.returncode != 0
    assert message in done.stderr
    assert not_run not in calls


def test_a_format_failure_fails_the_command(repo: Path) -> None:
    # `ruff check . && ruff format --check .` under set -e let this pass before
    stub = repo / ".venv/bin/ruff"
    stub.write_text(STUB.replace('name=$(basename "$0")', "name=ruff-$1"))
    done, calls = dev(repo, "test", fail="ruff-format")
    assert done.returncode != 0
    assert "ruff format --check failed" in done.stderr
    assert "mypy" not in calls


def test_a_failed_pip_install_is_shown_whole_and_stops(repo: Path) -> None:
    done, calls = dev(repo, "demo", fail="pip-install")
    assert done.returncode == 1
    assert "Failed building wheel for evdev" in done.stderr  # pip's own output, whole
    assert "a long error, line 1" in done.stderr
    assert "upgrading pip failed (its output is above)" in done.stderr
    assert "pip looks in:" in done.stderr
    assert "hall demo" not in calls and "hall --version" not in calls


def test_demo_runs_hall_demo_after_the_checks(repo: Path) -> None:
    done, calls = dev(repo, "demo")
    assert done.returncode == 0, done.stderr
    assert calls.splitlines()[-1].startswith("hall demo --headless --out out/demo")


def test_unknown_command(repo: Path) -> None:
    done, _ = dev(repo, "nope")
    assert done.returncode == 2 and "usage" in done.stderr
