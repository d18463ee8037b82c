"""Pad tests: pty pairs with the real master against the simulator."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_logged_exceptions: the test expects exceptions to be logged"
    )
