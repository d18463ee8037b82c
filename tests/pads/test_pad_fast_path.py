"""The master's fast path: frames built for any SEQ from a table, idle replies recognised
without decoding, the input flushed only after trouble; and what the pads follow of the
hub's state."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.master import BusMaster, MasterSettings
from counter_pad.memory import InMemoryPadMemory
from counter_pad.runner import state_topics
from counter_pad.sim_devices import SimV1Device
from hall.hubapi import protocol as p


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# ---------------------------------------------------------------- SeqFrame, exact_frame


def test_seq_frame_gives_the_contract_worked_frame() -> None:
    poll = v1.SeqFrame(3, v1.Cmd.POLL, bytes(3))
    assert poll.frame(0x11) == h("AA 03 11 10 03 00 00 00 EA C6")


@given(
    addr=st.integers(0, 255),
    cmd=st.integers(0, 255),
    payload=st.binary(max_size=v1.MAX_PAYLOAD),
    seq=st.integers(0, 255),
)
def test_seq_frame_equals_encode_frame_for_every_seq(
    addr: int, cmd: int, payload: bytes, seq: int
) -> None:
    assert v1.SeqFrame(addr, cmd, payload).frame(seq) == v1.encode_frame(addr, seq, cmd, payload)


def test_seq_frame_covers_all_256_seqs_of_a_poll_and_an_idle_reply() -> None:
    poll = v1.SeqFrame(31, v1.Cmd.POLL, bytes((7, 0x34, 0x12)))
    idle = v1.SeqFrame(31 | v1.REPLY_BIT, v1.Cmd.EVENTS, bytes((1, 0x34, 0x12, 0)))
    for seq in range(256):
        assert poll.frame(seq) == v1.encode_poll(31, seq, 7, 0x1234)
        assert idle.frame(seq) == v1.encode_events(31, seq, 1, 0x1234, [])


def test_exact_frame_takes_one_whole_good_frame_only() -> None:
    frame = v1.encode_events(3, 9, 0, 0x1234, [v1.WireEvent(1, Key.CALL_NEXT)])
    got = v1.exact_frame(frame)
    assert got is not None and (got.addr, got.seq, got.cmd) == (0x83, 9, v1.Cmd.EVENTS)
    assert v1.exact_frame(frame[:-1]) is None  # short
    assert v1.exact_frame(frame + b"\x00") is None  # a byte more
    assert v1.exact_frame(b"\x00" + frame[:-1]) is None  # noise first
    assert v1.exact_frame(frame + frame) is None  # two frames: the receiver's job
    bad = bytearray(frame)
    bad[6] ^= 0x01
    assert v1.exact_frame(bytes(bad)) is None  # CRC
    assert v1.exact_frame(b"") is None


@given(st.binary(max_size=80))
def test_exact_frame_agrees_with_the_receiver(data: bytes) -> None:
    got = v1.exact_frame(data)
    if got is not None:
        rx = v1.Receiver()
        assert rx.feed(data) == [got] and not rx.pending and rx.dropped == 0


# ---------------------------------------------------------------- the master over a fake line


class Line:
    """Devices that answer at once; counts flushes and can play noise or silence."""

    def __init__(self, addresses: tuple[int, ...]) -> None:
        self.devices = {
            a: SimV1Device(a, v1.DeviceType.CALL_PAD, random.Random(a)) for a in addresses
        }
        self.out = b""
        self.flushes = 0
        self.writes = 0
        self.silent: set[int] = set()
        self.noise_next = b""

    def write(self, data: bytes, /) -> int | None:
        self.writes += 1
        (frame,) = v1.Receiver().feed(data)
        dev = self.devices.get(frame.addr)
        reply = dev.handle(frame) if dev and frame.addr not in self.silent else None
        self.out = self.noise_next + (reply or b"")
        self.noise_next = b""
        return len(data)

    def read(self, size: int, timeout: float) -> bytes:
        out, self.out = self.out[:size], self.out[size:]
        return out

    def reset_input_buffer(self) -> None:
        self.flushes += 1
        self.out = b""

    def ask(self, data: bytes, size: int, timeout: float) -> bytes:
        self.write(data)
        return self.read(size, timeout)


def master_on(line: Line, **kw: object) -> tuple[BusMaster, list[Key]]:
    keys: list[Key] = []
    now = [0.0]

    def clock() -> float:
        now[0] += 0.0001
        return now[0]

    def sleep(s: float) -> None:
        now[0] += s

    master = BusMaster(
        line,
        MasterSettings("t", addresses=tuple(sorted(line.devices)), baud=115200),
        InMemoryPadMemory(),
        lambda e: keys.append(e.key),
        clock=clock,
        sleep=sleep,
        **kw,  # type: ignore[arg-type]
    )
    return master, keys


def test_idle_polls_never_flush_and_presses_still_come_through() -> None:
    line = Line((1, 2, 3))
    master, keys = master_on(line)
    for _ in range(5):
        master.step()  # HELLO, first POLLs (a new boot), then idle
    flushes = line.flushes
    writes = line.writes
    for _ in range(50):
        master.step()
    assert line.writes - writes == 150
    assert line.flushes == flushes  # nothing went wrong: nothing to flush
    line.devices[2].press(Key.CALL_NEXT)
    master.step()
    line.devices[2].press(Key.RECALL)
    line.devices[2].power_on()  # reboot: new boot id, the RECALL is gone, a new press
    line.devices[2].press(Key.SKIP)
    for _ in range(3):
        master.step()
    assert keys == [Key.CALL_NEXT, Key.SKIP]
    assert line.devices[2].store == type(line.devices[2].store)()  # all acknowledged


def test_noise_or_a_timeout_flushes_before_the_next_request() -> None:
    line = Line((1, 2))
    master, keys = master_on(line)
    for _ in range(3):
        master.step()
    flushes = line.flushes
    line.noise_next = b"\x55\xaa\x01"  # noise before the reply: slow path, then flush
    master.step()
    assert line.flushes == flushes + 1
    assert master.status()[1].online and master.status()[2].online
    line.silent.add(2)
    master.step()  # three timeouts for device 2
    assert line.flushes >= flushes + 2
    assert master.stats["timeouts"] == 3 and not master.status()[2].online
    line.silent.clear()
    line.devices[1].press(Key.FINISH)
    for _ in range(2):
        master.step()
    assert keys == [Key.FINISH]


def test_an_idle_reply_with_new_flags_is_decoded_again() -> None:
    line = Line((1,))
    master, _ = master_on(line, auto_confirm=False)
    for _ in range(3):
        master.step()
    dev = line.devices[1]
    dev.capacity = 1
    dev.press(Key.CALL_NEXT)
    dev.press(Key.RECALL)  # the store is full: OVERFLOW
    master.step()
    assert master.stats["overflow"] == 1


# ---------------------------------------------------------------- what the pads follow


def test_the_pads_follow_their_counters_and_the_catalog_only() -> None:
    topics = state_topics(["3", "1", "3"], clock_set=True)
    assert topics == [p.CATALOG, p.counter_topic("1"), p.counter_topic("3")]
    assert p.BOARD not in topics and p.COUNTER_PATTERN not in topics


def test_the_board_is_followed_when_the_clock_is_not_set() -> None:
    assert p.BOARD in state_topics(["1"], clock_set=False)
