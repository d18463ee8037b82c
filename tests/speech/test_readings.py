"""The hall's words read right: every catalog's service names, every counter and hall name,
the common sentences, and the polyphones pypinyin gets wrong (golden, hand-checked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from drivers.speech.pinyin import NAMES, to_pinyin
from drivers.speech.vocabulary import OVERRIDES

from .golden_readings import GOLDEN

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    ROOT / "appliance/sim/data/catalog.json",
    ROOT / "config/examples/catalog.json",
    Path("/work/shared/data/sample-catalog.json"),
]
CONFIGS = sorted([*ROOT.glob("config/examples/**/*.toml"), *ROOT.glob("appliance/sim/data/*.toml")])


def catalog_names() -> list[str]:
    names: list[str] = []
    for path in CATALOGS:
        if not path.exists():  # the shared copy lives outside the repository
            continue
        for service in json.loads(path.read_text(encoding="utf-8"))["services"]:
            names += [service["name"], service["category"]]
    return sorted(set(names))


def config_names() -> list[str]:
    names: list[str] = []
    for path in CONFIGS:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        names += [c["name"] for c in data.get("counters", []) if c.get("name")]
        if data.get("hall", {}).get("name"):
            names.append(data["hall"]["name"])
    return sorted(set(names))


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    NAMES.warm([*GOLDEN, *catalog_names(), *config_names()])  # one helper process for all


def test_the_sample_catalogs_and_configs_are_found() -> None:
    assert len(catalog_names()) >= 20  # 13 services and their categories
    assert {"婚姻登记处", "综合窗口", "湛河区政务服务中心"} <= set(config_names())


@pytest.mark.parametrize("name", catalog_names())
def test_every_service_name_and_category_of_the_catalogs_reads_right(name: str) -> None:
    assert name in GOLDEN, f"{name}: check its reading by hand, add it to golden_readings.py"
    assert to_pinyin([name]) == GOLDEN[name]


@pytest.mark.parametrize("name", config_names())
def test_every_counter_and_hall_name_of_the_example_configs_reads_right(name: str) -> None:
    assert name in GOLDEN, f"{name}: check its reading by hand, add it to golden_readings.py"
    assert to_pinyin([name]) == GOLDEN[name]


@pytest.mark.parametrize(("text", "reading"), sorted(GOLDEN.items()))
def test_golden_reading(text: str, reading: str) -> None:
    assert to_pinyin([text]) == reading


def test_each_override_is_a_word_pypinyin_alone_misreads() -> None:
    """The table holds only what is needed: pypinyin without it reads each word otherwise."""
    code = (
        "import json, sys; from pypinyin import lazy_pinyin, Style;"
        "words = json.loads(sys.argv[1]);"
        "print(json.dumps({w: ' '.join(lazy_pinyin(w, style=Style.TONE3, "
        "neutral_tone_with_five=True)) for w in words}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(OVERRIDES))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    plain = json.loads(done.stdout)
    for word, reading in OVERRIDES.items():
        assert re.fullmatch(r"([a-z]+[1-5] ?)+", reading), word
        assert plain[word] != reading, f"{word}: pypinyin already reads it {reading}"
        assert to_pinyin([word]) == reading


def test_a_call_to_a_named_counter_with_a_polyphone() -> None:
    from drivers.speech.text import Call, call_phrase

    phrase = call_phrase(Call("D012", "6", "公积金还款窗口"))
    assert to_pinyin(phrase.tokens) == (
        "qing3 di4, ling2 yi1 er4 hao4 dao4 gong1 ji1 jin1 huan2 kuan3 chuang1 kou3 ban4 li3"
    )
