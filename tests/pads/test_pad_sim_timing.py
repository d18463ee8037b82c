"""The simulator models the wire, no slower and no faster: a device acts on a request
when its last byte would have arrived, and its reply lands when its last byte would."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Iterator

import pytest

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.simulator import PadSimulator, open_pty
from counter_pad.timing import fine_timer_slack, sleep_until

pytestmark = pytest.mark.timeout(20)
BAUD = 9600
TURNAROUND = 0.0005


@pytest.fixture
def line() -> Iterator[tuple[PadSimulator, int]]:
    link, path = open_pty()
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    sim = PadSimulator(
        link, {1: v1.DeviceType.CALL_PAD}, baud=BAUD, turnaround=TURNAROUND, seed=3
    ).start()
    yield sim, fd
    sim.stop()
    os.close(fd)
    link.close()


def exchange(fd: int, request: bytes) -> tuple[v1.Frame, float, float]:
    """Write ``request``; the reply and when it was written and complete (monotonic)."""
    rx = v1.Receiver()
    sent = time.monotonic()
    os.write(fd, request)
    end = sent + 1.0
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], end - time.monotonic())
        if ready:
            frames = rx.feed(os.read(fd, 256))
            if frames:
                return frames[0], sent, time.monotonic()
    raise AssertionError("no reply")


def test_a_press_while_the_poll_is_on_the_wire_is_in_the_reply(
    line: tuple[PadSimulator, int],
) -> None:
    sim, fd = line
    exchange(fd, v1.encode_poll(1, 1, 0, 0))  # meet the device
    poll = v1.encode_poll(1, 2, 0, sim.v1[1].boot_id)
    wire = v1.wire_time(len(poll), BAUD)  # 10.4 ms

    def press_during_the_request() -> None:
        time.sleep(wire / 3)
        sim.press(1, Key.CALL_NEXT)

    t = threading.Thread(target=press_during_the_request)
    t.start()
    reply, _, _ = exchange(fd, poll)
    t.join()
    events = v1.decode_reply(reply)
    assert isinstance(events, v1.Events)
    assert [e.key for e in events.events] == [Key.CALL_NEXT]


def test_the_reply_lands_when_the_wire_says(line: tuple[PadSimulator, int]) -> None:
    sim, fd = line
    exchange(fd, v1.encode_poll(1, 1, 0, 0))
    late: list[float] = []
    for seq in range(2, 12):
        poll = v1.encode_poll(1, seq, 0, sim.v1[1].boot_id)
        reply, sent, done = exchange(fd, poll)
        wire = v1.wire_time(len(poll) + len(reply.encode()), BAUD) + TURNAROUND
        assert done - sent >= wire - 0.0005  # never faster than the wire
        late.append(done - sent - wire)
    # and not held back on purpose: the quickest replies land hardly after the wire time (a
    # busy box makes the slow ones later, not the quick ones)
    assert sorted(late)[1] < 0.003


def test_fine_timer_slack_makes_short_sleeps_end_on_time() -> None:
    if not fine_timer_slack():
        pytest.skip("no timer slack here")
    late = []
    for _ in range(20):
        want = time.monotonic() + 0.001
        sleep_until(want)
        late.append(time.monotonic() - want)
    assert min(late) >= 0
    assert sorted(late)[3] < 0.002  # the quick ones (the box is shared: others are late)
