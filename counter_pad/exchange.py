"""One request and its reply on a v1 line: the bytes, the timing and the noise.

:class:`LineIO` is the bus master's link to the port (docs/PAD_PROTOCOL.md, "Protocol v1:
timing"): one write and one wait-and-read when the reply comes whole (the fast path: the
expected idle reply compared as bytes, or one good frame), else a :class:`Receiver` that
gathers a reply in pieces, drops noise and bad frames, and tells stray frames apart. The
input is flushed before a request only after an exchange that left something unexpected.

What it meets on the line is counted (``stats``) and logged at a sane rate
(:class:`NoiseLog`): bytes of noise, frames with a bad CRC, stray frames (late replies,
requests from another master) and frames from addresses this master does not poll.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection

from counter_pad import frames_v1 as v1
from counter_pad.noise import NoiseLog
from counter_pad.port import Port


class LineIO:
    def __init__(
        self,
        port: Port,
        baud: int,
        first_byte_timeout: float,
        gap: float,
        known: Collection[int],
        noise: NoiseLog,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.port = port
        self.first_byte_timeout = first_byte_timeout
        self.gap = gap
        self.known = frozenset(known)
        self.noise = noise
        self.stats: Counter[str] = noise.stats
        self.clock = clock
        self.sleep = sleep
        self.byte_time = v1.wire_time(1, baud)
        self.flush = True  # flush the input before the next request

    def wait_for(self, request: bytes) -> float:
        """How long a reply to ``request`` may take to start, from its write."""
        return self.byte_time * len(request) + self.first_byte_timeout

    def exchange(
        self, request: bytes, address: int, seq: int, expect: bytes | None = None
    ) -> v1.Frame | bytes | None:
        """Send ``request`` and wait for its reply: ``expect`` itself (returned as is), a
        good frame from ``address`` with ``seq``, or None."""
        if self.flush:
            self.flush = False
            self.port.reset_input_buffer()
        now = self.clock()
        wait = self.wait_for(request)
        data = self.port.ask(request, v1.MAX_FRAME, wait)
        return self.received(data, now, wait, address, seq, expect)

    def received(
        self, data: bytes, now: float, wait: float, address: int, seq: int, expect: bytes | None
    ) -> v1.Frame | bytes | None:
        """What a request sent at ``now`` got within ``wait``: see :meth:`exchange`."""
        if data:
            if data == expect:
                return expect
            frame = v1.exact_frame(data)
            if frame is not None and frame.addr == address | v1.REPLY_BIT and frame.seq == seq:
                return frame
            return self._collect(data, address, seq, shortest=len(expect or b""))
        if self.clock() - now < wait:  # woken early with nothing: wait out the rest
            return self._collect(b"", address, seq, now + wait, len(expect or b""))
        self.stats["timeouts"] += 1
        self.flush = True
        return None

    def send(self, frame: bytes) -> None:
        """A broadcast: no reply; the line stays quiet for its wire time and one gap."""
        self.port.write(frame)
        self.sleep(self.byte_time * len(frame) + self.gap)

    def _collect(
        self,
        data: bytes,
        address: int,
        seq: int,
        first_by: float | None = None,
        shortest: int = 0,
    ) -> v1.Frame | None:
        """The slow path: a reply in pieces (slow lines), noise, stray or bad frames. The
        first byte may take until ``first_by``; once a reply has started, the whole frame
        may take its wire time, and a gap inside it ends it. ``shortest``: the length of
        the shortest reply expected (the device's idle reply to a POLL), to wait for at
        once on a slow line rather than for a header first."""
        port, gap, want = self.port, self.gap, address | v1.REPLY_BIT
        rx = v1.Receiver()
        deadline = first_by if first_by is not None and not data else self._frame_deadline()
        found: v1.Frame | None = None
        while found is None:
            if data:
                if first_by is not None:
                    first_by, deadline = None, self._frame_deadline()
                frames = rx.feed(data)
                rest = self.byte_time * rx.missing(shortest) if rx.pending else 0.0
                if rest > 0.002:  # slow line: let the frame's known rest arrive, then read
                    self.sleep(rest)
            elif rx.pending:
                frames = rx.abort()
            else:
                frames = []
            for frame in frames:
                if frame.addr == want and frame.seq == seq and found is None:
                    found = frame
                else:
                    self._stray(frame, want)
            if found is not None:
                break
            left = deadline - self.clock()
            if left <= 0:
                break
            data = port.read(v1.MAX_FRAME, min(left, gap) if rx.pending else left)
        self._noise(rx)
        if found is None:
            self.stats["timeouts"] += 1
            self.flush = True
        elif rx.dropped or rx.pending or rx.bad_crc:
            self.flush = True
        return found

    def _stray(self, frame: v1.Frame, want: int) -> None:
        self.flush = True
        if frame.is_reply and frame.addr & 0x7F not in self.known:
            self.noise.note("foreign_frames", detail=f"address {frame.addr & 0x7F}")
        else:
            kind = "late reply" if frame.addr == want else f"ADDR 0x{frame.addr:02X}"
            self.noise.note("stray_frames", detail=kind)

    def _noise(self, rx: v1.Receiver) -> None:
        if rx.bad_crc:
            self.noise.note("bad_crc", rx.bad_crc)
        self.noise.note("noise_bytes", rx.dropped)

    def _frame_deadline(self) -> float:
        return self.clock() + self.byte_time * v1.MAX_FRAME + self.gap
