#!/usr/bin/env python3
"""Keep a wlroots compositor composing every frame, as a screen recorder does.

deploy/screen-check.sh runs this beside cage on a headless output. It asks for one
frame after another (wlr-screencopy `copy_with_damage`), so a copy is pending at all
times. While one is pending, wlroots does not scan a client's buffer out directly: cage
composes each frame itself, and grim's screenshot shows what the output shows.

Why it is needed there (wlroots 0.15, cage 0.1.4, Debian 12): with `cage -d` a full-screen
Qt window's buffer is exactly the output's size, so cage scans it out. The headless backend
accepts any buffer for scan-out, and the next composed frame (the one grim's screenshot
forces) starts from cage's own buffer as it was before the scan-out, with only the newest
damage drawn: the screenshot shows black, or the window's first small frame. A real screen
shows the scanned-out buffer itself. Without `-d` Qt draws its own title bar and margins,
the buffer no longer matches the output, nothing is scanned out, and screenshots look right:
hence "a title bar without -d, black with -d" when this was first tried.

Standard library only (the Wayland wire protocol over the compositor's socket):

    python3 deploy/screencopy-hold.py [--seconds N]     # WAYLAND_DISPLAY, XDG_RUNTIME_DIR set

It prints `holding` once the first frame is copied, and exits on SIGTERM, at the end of
--seconds, or when the compositor goes away.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import sys
import time

DISPLAY_ID = 1


class Wayland:
    """Just enough of the wire protocol: requests out, events in, ids counted up."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.next_id = 2
        self.buf = b""

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def send(self, obj: int, opcode: int, args: bytes = b"", fds: list[int] | None = None) -> None:
        msg = struct.pack("<II", obj, ((8 + len(args)) << 16) | opcode) + args
        if fds:
            self.sock.sendmsg(
                [msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
            )
        else:
            self.sock.sendall(msg)

    def events(self, timeout: float | None = None) -> list[tuple[int, int, bytes]]:
        """At least one event (or [] after `timeout`); raises EOFError when the socket closes."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise EOFError("the compositor closed the connection")
        self.buf += data
        out = []
        while len(self.buf) >= 8:
            obj, word = struct.unpack_from("<II", self.buf)
            size = word >> 16
            if len(self.buf) < size:
                break
            out.append((obj, word & 0xFFFF, self.buf[8:size]))
            self.buf = self.buf[size:]
        return out


def string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4)


def read_string(data: bytes, at: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<I", data, at)
    text = data[at + 4 : at + 4 + n - 1].decode()
    return text, at + 4 + n + (-n % 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long")
    args = parser.parse_args()
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    name = os.environ.get("WAYLAND_DISPLAY", "wayland-0")
    wl = Wayland(name if name.startswith("/") else os.path.join(runtime, name))
    stop = time.monotonic() + args.seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    registry, sync = wl.new_id(), wl.new_id()
    wl.send(DISPLAY_ID, 1, struct.pack("<I", registry))  # wl_display.get_registry
    wl.send(DISPLAY_ID, 0, struct.pack("<I", sync))  # wl_display.sync
    globals_: dict[str, tuple[int, int]] = {}
    synced = False
    while not synced:
        for obj, op, data in wl.events(10):
            if obj == registry and op == 0:  # wl_registry.global
                (gname,) = struct.unpack_from("<I", data)
                iface, at = read_string(data, 4)
                (version,) = struct.unpack_from("<I", data, at)
                globals_.setdefault(iface, (gname, version))
            elif obj == sync:
                synced = True
            elif obj == DISPLAY_ID and op == 0:
                raise SystemExit(f"wayland error: {data!r}")
    missing = {"wl_shm", "wl_output", "zwlr_screencopy_manager_v1"} - globals_.keys()
    if missing:
        print(
            f"screencopy-hold: the compositor offers no {', '.join(sorted(missing))}",
            file=sys.stderr,
        )
        return 2

    def bind(iface: str, version: int) -> int:
        new = wl.new_id()
        gname, offered = globals_[iface]
        args_ = (
            struct.pack("<I", gname)
            + string(iface)
            + struct.pack("<II", min(version, offered), new)
        )
        wl.send(registry, 0, args_)  # wl_registry.bind
        return new

    shm, output, manager = (
        bind("wl_shm", 1),
        bind("wl_output", 1),
        bind("zwlr_screencopy_manager_v1", 2),
    )
    buffer, buffer_shape, first = 0, (0, 0, 0, 0), True
    while time.monotonic() < stop:
        frame = wl.new_id()
        wl.send(manager, 0, struct.pack("<IiI", frame, 0, output))  # capture_output
        done = False
        while not done and time.monotonic() < stop:
            for obj, op, data in wl.events(1):
                if obj == DISPLAY_ID and op == 0:
                    raise SystemExit(f"wayland error: {data!r}")
                if obj != frame:
                    continue
                if op == 0:  # buffer(format, width, height, stride)
                    shape = struct.unpack_from("<IIII", data)
                    if shape != buffer_shape:
                        fmt, width, height, stride = shape
                        fd = os.memfd_create("screencopy-hold")
                        os.ftruncate(fd, stride * height)
                        pool, buffer = wl.new_id(), wl.new_id()
                        wl.send(shm, 0, struct.pack("<Ii", pool, stride * height), [fd])
                        wl.send(
                            pool, 0, struct.pack("<IiiiiI", buffer, 0, width, height, stride, fmt)
                        )
                        wl.send(pool, 1)  # wl_shm_pool.destroy (the buffer keeps the memory)
                        os.close(fd)
                        buffer_shape = shape
                    wl.send(frame, 2, struct.pack("<I", buffer))  # copy_with_damage
                elif op in (2, 3):  # ready, failed
                    wl.send(frame, 1)  # destroy
                    done = True
                    if first:
                        print(
                            "holding" if op == 2 else "screencopy-hold: a copy failed", flush=True
                        )
                        first = False
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (EOFError, ConnectionError, FileNotFoundError) as exc:
        print(f"screencopy-hold: {exc}", file=sys.stderr)
        sys.exit(0 if isinstance(exc, EOFError) else 1)
