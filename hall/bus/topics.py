"""MQTT topic names and filters: validation and matching (MQTT 5 §4.7)."""

from __future__ import annotations

import re

REPLY_PREFIX = "hall/v1/reply/"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_client_id(client_id: str) -> str:
    """A client id is also a topic level (its reply topic), so no wildcards or slashes."""
    if not _CLIENT_ID.fullmatch(client_id):
        raise ValueError(f"invalid client id {client_id!r}: use 1-64 of A-Z a-z 0-9 _ . -")
    return client_id


def reply_topic(client_id: str) -> str:
    return REPLY_PREFIX + client_id


def check_topic(topic: str) -> str:
    """A topic to publish to: non-empty, no wildcards, no NUL."""
    if not topic or "+" in topic or "#" in topic or "\0" in topic:
        raise ValueError(f"invalid topic name {topic!r}")
    return topic


def check_pattern(pattern: str) -> str:
    """A topic filter: `+` is a whole level, `#` is a whole last level."""
    if not pattern or "\0" in pattern:
        raise ValueError(f"invalid topic filter {pattern!r}")
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if ("+" in level and level != "+") or ("#" in level and level != "#"):
            raise ValueError(f"invalid topic filter {pattern!r}: wildcard inside a level")
        if level == "#" and i != len(levels) - 1:
            raise ValueError(f"invalid topic filter {pattern!r}: '#' must be last")
    return pattern


def matches(pattern: str, topic: str) -> bool:
    """True when `topic` matches the (valid) filter `pattern`.

    Wildcards at the first level do not match topics starting with `$` (MQTT 5 §4.7.2).
    """
    if topic.startswith("$") and pattern[:1] in ("+", "#"):
        return False
    want = pattern.split("/")
    have = topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or (level != "+" and level != have[i]):
            return False
    return len(want) == len(have)
