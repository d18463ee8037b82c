"""The hash chain's canonical JSON (contract v1.1 `h`), numbers as RFC 8785 writes them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.core import chain


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1795741561.0, "1795741561"),
        (1795741561.123, "1795741561.123"),
        (0.1, "0.1"),
        (-0.5, "-0.5"),
        (1e16, "10000000000000000"),
        (1e20, "100000000000000000000"),
        (1.2345678901234568e20, "123456789012345680000"),
        (1e21, "1e+21"),
        (2.5e25, "2.5e+25"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-5, "0.000015"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_numbers_as_ecmascript_writes_them(x: float, text: str) -> None:
    assert chain.number(x) == text
    assert chain.canonical([x]) == f"[{text}]".encode()


def _slow(value: object) -> bytes:
    out: list[str] = []
    chain._canon(value, out)
    return "".join(out).encode()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400)
@given(JSON)
def test_the_fast_writer_gives_the_canonical_bytes(value: object) -> None:
    assert chain.canonical(value) == _slow(value)


def test_a_changed_event_breaks_the_chain_there_only() -> None:
    events = []
    previous = chain.GENESIS
    for seq in range(1, 6):
        e = {"seq": seq, "id": f"e{seq}", "type": "ticket.printed", "at": "t", "data": {"n": seq}}
        previous = chain.link(previous, e)
        events.append({**e, "h": previous})
    assert list(chain.verify(events)) == []
    events[2] = {**events[2], "data": {"n": 99}}
    assert [b.seq for b in chain.verify(events)] == [3]
    assert [b.seq for b in chain.verify(events[:2] + events[3:])] == [4, 4]


@given(
    st.integers(min_value=1, max_value=2**40),
    st.text(max_size=40),
    st.text(max_size=20),
    st.text(max_size=30),
    st.dictionaries(st.text(max_size=8), JSON, max_size=6),
)
@settings(max_examples=300)
def test_an_event_linked_from_its_parts_is_linked_as_its_whole(
    seq: int, eid: str, kind: str, at: str, data: dict[str, object]
) -> None:
    h, text = chain.event_link(chain.GENESIS, seq, eid, kind, at, data)
    whole = {"seq": seq, "id": eid, "type": kind, "at": at, "data": data}
    assert h == chain.link(chain.GENESIS, whole)
    assert text == chain.canonical(data).decode("utf-8")


def test_event_ids_are_version_4_uuids() -> None:
    import uuid

    from hall.core.engine import uuid4

    ids = {uuid4() for _ in range(2000)}
    assert len(ids) == 2000
    for text in list(ids)[:200]:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122


def test_ticket_ids_are_hmac_sha256_of_hall_day_and_number() -> None:
    import hashlib
    import hmac
    from datetime import date

    from hall.core.decide.issuing import ticket_id_for

    for key in (b"k" * 32, b"short key 16 byt", bytes(range(64)), b"x" * 100):
        for number in ("A001", "B999", "Z0001"):
            msg = f"410411-ZH01/2026-11-27/{number}".encode()
            want = hmac.new(key, msg, hashlib.sha256).hexdigest()[:24]
            got = ticket_id_for("410411-ZH01", date(2026, 11, 27), number, key=key)
            assert got == want
