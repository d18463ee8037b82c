"""Run a helper process (synthesiser, player) with a deadline, killing its whole group."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

_log = logging.getLogger(__name__)


class DeadlineExpired(Exception):
    """The process outlived its deadline and was killed."""


@dataclass(frozen=True)
class Finished:
    returncode: int
    stderr: str

    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else "no message"


def run_with_deadline(argv: Sequence[str], timeout: float) -> Finished:
    """Run `argv` in a new session; at `timeout` kill its process group.

    Raises OSError when it cannot start and DeadlineExpired when it was killed.
    """
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        _log.warning("killed %s (pid %d) at its %.1f s deadline", argv[0], proc.pid, timeout)
        raise DeadlineExpired(f"{argv[0]} still running after {timeout:.1f} s; killed") from None
    return Finished(proc.returncode, err.decode("utf-8", "replace"))
