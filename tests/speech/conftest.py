"""The speech tests need espeak-ng (a Debian package) on the PATH."""

from __future__ import annotations

import shutil

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_logged_exceptions: the test expects exceptions to be logged"
    )


@pytest.fixture(scope="session", autouse=True)
def _need_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng)")
