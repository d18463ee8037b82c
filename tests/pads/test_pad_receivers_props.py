"""Property tests of both receivers: noise, chunking, bad checksums, garbage, resync."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from counter_pad import frames_legacy as fl
from counter_pad import frames_v1 as v1

T = TypeVar("T")

v1_frames = st.builds(
    v1.Frame,
    addr=st.integers(0, 255),
    seq=st.integers(0, 255),
    cmd=st.integers(0, 255),
    payload=st.binary(max_size=v1.MAX_PAYLOAD),
)
legacy_frames = st.builds(
    fl.LegacyFrame,
    addr=st.integers(0, 255),
    cmd=st.integers(0, 255),
    data=st.binary(max_size=fl.MAX_DATA),
)
noise = st.binary(max_size=200)
QUICK = settings(max_examples=300, deadline=None)


class AnyReceiver(Protocol):
    @property
    def pending(self) -> bool: ...

    def feed(self, data: bytes) -> Sequence[Any]: ...

    def abort(self) -> Sequence[Any]: ...


PROFILES: list[tuple[Callable[[], AnyReceiver], st.SearchStrategy[Any]]] = [
    (v1.Receiver, v1_frames),
    (fl.LegacyReceiver, legacy_frames),
]


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def feed_all(rx: AnyReceiver, chunks: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks:
        out.extend(rx.feed(chunk))
    return out


def contains_run(haystack: list[T], needle: list[T]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def make(profile: int) -> tuple[Callable[[], AnyReceiver], st.SearchStrategy[Any]]:
    return PROFILES[profile]


profiles = st.sampled_from([0, 1])


@QUICK
@given(st.data(), profiles, st.lists(st.integers(0, 10_000), max_size=20))
def test_split_and_joined_frames_come_out_whole(
    data: st.DataObject, p: int, cuts: list[int]
) -> None:
    new, frames = make(p)
    sent = data.draw(st.lists(frames, max_size=6))
    stream = b"".join(f.encode() for f in sent)
    rx = new()
    assert feed_all(rx, chunked(stream, cuts)) == sent
    assert not rx.pending


@QUICK
@given(st.data(), profiles, noise, noise, st.lists(st.integers(0, 10_000), max_size=20))
def test_noise_before_gap_and_after(
    data: st.DataObject, p: int, before: bytes, after: bytes, cuts: list[int]
) -> None:
    new, frames = make(p)
    sent = data.draw(st.lists(frames, min_size=1, max_size=4))
    rx = new()
    feed_all(rx, [before])
    rx.abort()  # the gap between the noise and the frames
    out = feed_all(rx, chunked(b"".join(f.encode() for f in sent) + after, cuts))
    out += rx.abort()
    assert out[: len(sent)] == sent


@QUICK
@given(st.data(), profiles, noise)
def test_resync_within_one_frame_without_a_gap(data: st.DataObject, p: int, before: bytes) -> None:
    new, frames = make(p)
    frame = data.draw(frames)
    # after any noise, a frame followed by one longest frame's worth of quiet line is found
    stream = before + frame.encode() + bytes(v1.MAX_FRAME)
    assert frame in new().feed(stream)


@QUICK
@given(st.data(), profiles, st.integers(0, 1000), st.integers(1, 255))
def test_a_corrupted_frame_is_dropped_and_the_rest_kept(
    data: st.DataObject, p: int, where: int, flip: int
) -> None:
    new, frames = make(p)
    sent = data.draw(st.lists(frames, min_size=3, max_size=3))
    raw = [bytearray(f.encode()) for f in sent]
    start = 1 if p == 1 else 0  # the legacy preamble is optional, changing it is no error
    i = start + where % (len(raw[1]) - start)
    raw[1][i] ^= flip
    rx = new()
    out = list(rx.feed(b"".join(bytes(r) for r in raw))) + list(rx.abort())
    assert sent[1] not in out or sent[1] in (sent[0], sent[2])
    assert sent[0] in out and sent[2] in out


@QUICK
@given(st.data(), profiles, st.integers(v1.MAX_PAYLOAD + 1, 255))
def test_a_frame_with_a_bad_length_is_dropped(data: st.DataObject, p: int, length: int) -> None:
    new, frames = make(p)
    good = data.draw(frames)
    if p == 0:
        bogus = bytes((v1.SOF, 1, 2, 3, length)) + bytes(length)
    else:
        bogus = bytes((fl.START, length, length, fl.START)) + bytes(length + 2)
    rx = new()
    out = list(rx.feed(bogus + good.encode())) + list(rx.abort())
    assert out == [good]


@settings(max_examples=500, deadline=None)
@given(profiles, st.lists(st.binary(max_size=100), max_size=10), st.booleans())
def test_garbage_never_crashes_and_never_yields_a_bad_frame(
    p: int, chunks: list[bytes], final_abort: bool
) -> None:
    new, _ = make(p)
    rx = new()
    stream = b"".join(chunks)
    out = feed_all(rx, chunks)
    if final_abort:
        out += rx.abort()
    for frame in out:
        encoded = frame.encode()  # raises on an over-long payload
        assert (encoded if p == 0 else encoded[1:]) in stream


@QUICK
@given(st.binary(min_size=1, max_size=300))
def test_v1_garbage_with_sof_bytes(body: bytes) -> None:
    stream = body.replace(b"\x00", b"\xaa")  # many candidate starts
    rx = v1.Receiver()
    for frame in list(rx.feed(stream)) + rx.abort():
        assert v1.crc16_modbus(frame.encode()[1:-2]) == int.from_bytes(
            frame.encode()[-2:], "little"
        )
