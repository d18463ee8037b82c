"""The simulator's legacy profile over a pty, with a minimal host written here."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import serial

from counter_pad import frames_legacy as fl
from counter_pad import frames_v1 as v1
from counter_pad.keys import Key, KeyEvent, KeyPress
from counter_pad.legacy_keys import LegacyKeyInterpreter
from counter_pad.simulator import PadSimulator, open_pty
from tests.pads.padbus import wait_for

pytestmark = pytest.mark.timeout(20)


class Host:
    """Echoes each key frame and interprets it, as the legacy link will."""

    def __init__(self, path: str) -> None:
        self.port = serial.Serial(path, 9600, timeout=0.01)
        self.rx = fl.LegacyReceiver()
        self.interpreters: dict[int, LegacyKeyInterpreter] = {}
        self.frames: list[fl.LegacyFrame] = []
        self.presses: list[tuple[int, KeyPress]] = []

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            data = self.port.read(64)
            for frame in self.rx.feed(data) if data else self.rx.abort():
                self.frames.append(frame)
                if frame.cmd == fl.CMD_KEY and frame.key_code is not None:
                    self.port.write(frame.encode())  # the echo is the acknowledgement
                    it = self.interpreters.setdefault(frame.addr, LegacyKeyInterpreter())
                    result = it.press(frame.key_code, time.monotonic())
                    if isinstance(result, KeyPress):
                        self.presses.append((frame.addr, result))


@pytest.fixture
def line() -> Iterator[tuple[PadSimulator, Host]]:
    link, path = open_pty()
    pads = dict.fromkeys((1, 2), v1.DeviceType.CALL_PAD)
    sim = PadSimulator(link, pads, profile="legacy", baud=9600).start()
    host = Host(path)
    yield sim, host
    sim.stop()
    host.port.close()
    link.close()


def test_key_sequences_arrive_and_are_echoed(line: tuple[PadSimulator, Host]) -> None:
    sim, host = line
    sim.legacy_press(1, 0, 1, 2, fl.KEY_CALL)
    sim.legacy_press(2, 6, fl.KEY_FUNCTION)
    host.pump(0.6)
    assert (1, KeyPress(Key.CALL_NUMBER, "012")) in host.presses
    assert (2, KeyPress(Key.SKIP)) in host.presses
    assert sim.pending_events(1) == sim.pending_events(2) == 0


def test_a_lost_key_frame_is_sent_again(line: tuple[PadSimulator, Host]) -> None:
    sim, host = line
    sim.drop_replies(1, 1)
    sim.legacy_press(1, fl.KEY_RECALL)
    host.pump(0.2)
    assert host.presses == []
    host.pump(0.5)
    assert host.presses == [(1, KeyPress(Key.RECALL))]


def test_display_and_beep_are_echoed(line: tuple[PadSimulator, Host]) -> None:
    sim, host = line
    host.port.write(fl.encode_display(2, "A012", 5))
    host.port.write(fl.encode_beep(2, 2))
    host.pump(0.2)
    assert wait_for(lambda: sim.display(2) == ("012", "  5"))
    assert sim.legacy[2].beeps == 2
    assert [f.cmd for f in host.frames] == [fl.CMD_DISPLAY, fl.CMD_BEEP]


@pytest.mark.allow_logged_exceptions
def test_the_link_replays_a_press_its_consumer_never_confirmed(
    line: tuple[PadSimulator, Host],
) -> None:
    import threading

    from counter_pad.legacy_link import LegacyLink, LegacySettings
    from counter_pad.memory import InMemoryPadMemory
    from counter_pad.port import SerialPort

    sim, host = line
    path = host.port.port
    host.port.close()  # the real link takes the line
    journal = InMemoryPadMemory()
    got: list[KeyEvent] = []

    def crash(event: KeyEvent) -> None:
        raise RuntimeError("killed before the hub answered")

    settings = LegacySettings(bus="L", addresses=(1, 2))
    for on_key, presses in ((crash, True), (got.append, False)):
        port = SerialPort(path, 9600)
        link = LegacyLink(port, settings, journal, on_key)
        stop = threading.Event()
        t = threading.Thread(target=link.run, args=(stop,), daemon=True)
        t.start()
        if presses:
            sim.legacy_press(1, fl.KEY_RECALL)
            assert wait_for(lambda: sim.pending_events(1) == 0)  # echoed
            assert wait_for(lambda: len(journal.journal_pending("L")) == 1)
        else:
            assert wait_for(lambda: len(got) == 1)
        stop.set()
        t.join(timeout=5)
        port.close()
    (event,) = got
    assert (event.key, event.boot_id, event.event_no) == (Key.RECALL, 1, 1)
    assert journal.journal_pending("L") == []
