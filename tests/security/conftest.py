"""One hall for the attack tests of a module, set up as a technician would (site.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.site import Site, make_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as mp:
        s = make_site(Path(tmp_path_factory.mktemp("site")), mp)
        try:
            yield s
        finally:
            s.stop()


@pytest.fixture(autouse=True)
def _own_buses(request: pytest.FixtureRequest) -> Iterator[None]:
    """The buses a test connected are closed after it: client ids are pinned, and a bus left
    connected would take its session back from the next test's client of the same id."""
    if "site" not in request.fixturenames:
        yield
        return
    s: Site = request.getfixturevalue("site")
    before = len(s.buses)
    yield
    for bus in s.buses[before:]:
        bus.close()
    del s.buses[before:]
