"""Topic filter matching agrees with paho's reference implementation."""

from __future__ import annotations

import paho.mqtt.client as paho
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.bus import topics

_LEVEL = st.sampled_from(["a", "b", "", "$sys", "hall", "v1"])
_TOPIC = st.lists(_LEVEL, min_size=1, max_size=5).map("/".join).filter(bool)
_FILTER = st.lists(st.sampled_from(["a", "b", "", "+", "$sys", "hall"]), min_size=1, max_size=5)


@given(_FILTER, st.booleans(), _TOPIC)
def test_matches_like_paho(levels: list[str], hash_: bool, topic: str) -> None:
    pattern = "/".join([*levels, "#"] if hash_ else levels)
    if not pattern:
        return
    assert topics.matches(pattern, topic) == paho.topic_matches_sub(pattern, topic)


@pytest.mark.parametrize("bad", ["", "a/#/b", "a/b#", "a+/b", "#/a", "a\0"])
def test_invalid_filters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        topics.check_pattern(bad)


@pytest.mark.parametrize("bad", ["", "a/+", "a/#", "x\0"])
def test_invalid_topic_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        topics.check_topic(bad)


@pytest.mark.parametrize("bad", ["", "a/b", "a+", "kiosk#1", "x" * 65])
def test_client_ids_that_would_break_the_reply_topic_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        topics.check_client_id(bad)
