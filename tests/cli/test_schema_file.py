"""config/hall.schema.json is what `hall config schema` prints (it never goes stale)."""

from __future__ import annotations

import json
from pathlib import Path

from appliance import config

ROOT = Path(__file__).resolve().parents[2]


def test_the_published_schema_is_current() -> None:
    published = json.loads((ROOT / "config/hall.schema.json").read_text(encoding="utf-8"))
    assert published == config.json_schema(), "run: hall config schema > config/hall.schema.json"


def test_every_example_config_is_valid() -> None:
    examples = sorted((ROOT / "config/examples").rglob("*.toml"))
    assert len(examples) >= 3
    for path in examples:
        config.load(path)
