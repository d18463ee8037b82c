"""The `env` fixture: the bus contract runs on the in-process bus and on MQTT."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bus.bus_helpers import BusEnv, InProcEnv, MqttEnv


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_logged_exceptions: the test expects exceptions to be logged"
    )


@pytest.fixture(params=["inproc", "mqtt"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BusEnv]:
    made: InProcEnv | MqttEnv = InProcEnv() if request.param == "inproc" else MqttEnv(tmp_path)
    try:
        yield made
    finally:
        made.close()
