"""The catalog as the core reads it: the contract's fields, and an optional English name."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hall.core import commands as c
from hall.core.catalog import CatalogError, catalog_to_wire, parse_catalog
from hall.core.engine import MemoryHall
from hall.core.timekeeping import FixedClock
from hall.core.views import catalog_view
from tests.conftest import CATALOG, memory_hall


def one(**fields: Any) -> dict[str, Any]:
    service = {**copy.deepcopy(CATALOG["services"][0]), **fields}
    return {"version": 1, "services": [service]}


def test_the_english_name_is_kept_and_shown(hall: MemoryHall) -> None:
    catalog = parse_catalog(CATALOG)
    assert catalog.get("SB-001") is not None
    assert catalog.get("SB-001").name_en == "Social security card"  # type: ignore[union-attr]
    again = parse_catalog({"version": 1, "services": catalog_to_wire(catalog)})
    assert again == catalog  # the store and the events keep it
    shown = {s["code"]: s for s in catalog_view(hall.state)["services"]}
    assert shown["SB-001"]["name_en"] == "Social security card"


def test_a_catalog_without_english_names_is_as_the_contract_has_it(clock: FixedClock) -> None:
    """The city's catalog (contract v1.1) has no `name_en`: nothing is added on the way."""
    plain = copy.deepcopy(CATALOG)
    for s in plain["services"]:
        s.pop("name_en", None)
    catalog = parse_catalog(plain)
    assert all(s.name_en == "" for s in catalog.services)
    assert all("name_en" not in s for s in catalog_to_wire(catalog))
    hall = memory_hall(clock)
    hall.execute(c.ApplyCatalog(version=CATALOG["version"] + 1, services=plain["services"]))
    assert all("name_en" not in s for s in catalog_view(hall.state)["services"])


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name_en": 7}, "name_en (the English name) must be text"),
        ({"name_en": "x" * 81}, "at most 80 characters"),
        ({"name": ""}, "name must be 1–40 characters"),
        ({"prefix": "AB"}, "must be one capital letter"),
        ({"daily_quota": -1}, "daily_quota must be a whole number"),
        ({"remote": "yes"}, "remote must be true or false"),
    ],
)
def test_a_bad_service_is_named(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(CatalogError, match="service SB-001") as info:
        parse_catalog(one(**fields))
    assert says in str(info.value)
