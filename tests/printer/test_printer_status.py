"""DLE EOT requests and the parsing of replies: a silent printer is UNKNOWN, never paper out."""

from __future__ import annotations

import pytest

from drivers.printer.status import PrinterState, parse_status, reply_byte, request


def test_requests() -> None:
    assert [request(n) for n in (1, 2, 3, 4)] == [
        bytes.fromhex("100401"),
        bytes.fromhex("100402"),
        bytes.fromhex("100403"),
        bytes.fromhex("100404"),
    ]
    with pytest.raises(ValueError, match="DLE EOT"):
        request(5)


def _r(h: str | None) -> bytes | None:
    return None if h is None else bytes.fromhex(h)


@pytest.mark.parametrize(
    ("p1", "p2", "p3", "p4", "state"),
    [
        ("12", "12", "12", "12", PrinterState.OK),
        ("12", None, None, "12", PrinterState.OK),
        ("12", "12", "12", "1e", PrinterState.PAPER_NEAR_END),  # bits 2-3 near end
        ("1a", "32", "12", "72", PrinterState.PAPER_OUT),  # offline, paper end stop, roll end
        ("12", "12", "12", "72", PrinterState.PAPER_OUT),  # roll end alone
        ("1a", "16", "12", "12", PrinterState.COVER_OPEN),
        ("1a", "36", "12", "72", PrinterState.COVER_OPEN),  # cover open wins
        ("1a", "12", "12", "12", PrinterState.OFFLINE),
        ("1a", "52", "1a", "12", PrinterState.ERROR),  # error occurred, unrecoverable
        ("12", "12", "16", "12", PrinterState.ERROR),  # autocutter error
        (None, None, None, None, PrinterState.UNKNOWN),  # no reply at all: not paper out
        ("12", None, None, None, PrinterState.UNKNOWN),  # paper sensor silent
        ("00", "12", "12", "12", PrinterState.UNKNOWN),  # not a status byte
        ("ff", "ff", "ff", "ff", PrinterState.UNKNOWN),
        ("1212", "12", "12", "12", PrinterState.UNKNOWN),  # two bytes for one query
    ],
)
def test_parse_table(
    p1: str | None, p2: str | None, p3: str | None, p4: str | None, state: PrinterState
) -> None:
    status = parse_status({1: _r(p1), 2: _r(p2), 3: _r(p3), 4: _r(p4)})
    assert status.state is state


def test_empty_replies_are_unknown_and_cannot_print() -> None:
    status = parse_status({1: b"", 4: b""})
    assert status.state is PrinterState.UNKNOWN
    assert not status.can_print


@pytest.mark.parametrize(
    ("faults", "state"),
    [
        ({}, PrinterState.OK),
        ({"near_end": True}, PrinterState.PAPER_NEAR_END),
        ({"paper_out": True}, PrinterState.PAPER_OUT),
        ({"cover_open": True}, PrinterState.COVER_OPEN),
        ({"offline": True}, PrinterState.OFFLINE),
        ({"error": True}, PrinterState.ERROR),
    ],
)
def test_reply_bytes_round_trip(faults: dict[str, bool], state: PrinterState) -> None:
    replies: dict[int, bytes | None] = {n: reply_byte(n, **faults) for n in (1, 2, 3, 4)}
    assert parse_status(replies).state is state
