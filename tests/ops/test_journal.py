"""journald priorities on the roles' log lines."""

from __future__ import annotations

import io
import logging
import os
import tempfile

import pytest

from appliance.ops import journal


def record(level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord("hall.hub", level, __file__, 1, msg, None, None)


def test_prefix_per_level_and_per_line() -> None:
    f = journal.JournalFormatter()
    assert (
        f.format(record(logging.WARNING, "printer paper out")) == "<4>hall.hub: printer paper out"
    )
    assert f.format(record(logging.ERROR, "a\nb")) == "<3>hall.hub: a\n<3>b"
    assert f.format(record(logging.DEBUG, "x")).startswith("<7>")
    assert journal.priority(logging.INFO + 5) == 6


def test_only_the_journal_stream_gets_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryFile("w+") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert journal.under_journald(stream)  # type: ignore[arg-type]
        h = journal.handler(stream)  # type: ignore[arg-type]
        assert isinstance(h.formatter, journal.JournalFormatter)
        monkeypatch.setenv("JOURNAL_STREAM", "1:2")
        assert not journal.under_journald(stream)  # type: ignore[arg-type]
    monkeypatch.delenv("JOURNAL_STREAM")
    assert not journal.under_journald(io.StringIO())
    h = journal.handler(io.StringIO())
    assert not isinstance(h.formatter, journal.JournalFormatter)
