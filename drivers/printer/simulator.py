"""The simulated ticket printer shipped in the product, for the demo, the tests and technicians.

``SimulatedPrinter`` takes ESC/POS bytes, answers DLE EOT from its state and fault settings,
keeps what it would have printed and renders it as a PNG. ``SimulatorServer`` puts it behind a
TCP listener (127.0.0.1, port 9100 by default) to stand in for a network printer;
``SimulatorTransport`` links it in-process.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from drivers.printer import status as dle
from drivers.printer.decode import Cut, Decoder, Element, StatusRequest, TextLine
from drivers.printer.errors import FailureReason, PrinterError
from drivers.printer.profiles import DEFAULT_80MM, PrinterProfile
from drivers.printer.render import render_png

log = logging.getLogger(__name__)


@dataclass
class Faults:
    """What is wrong with the simulated printer; tests and technicians change these live.

    ``paper_out_after`` runs the paper out once that many job bytes have arrived;
    ``stall_after`` stops the printer (it takes no more bytes and answers nothing) after that
    many bytes; ``mute_status`` makes it ignore DLE EOT, as some printers do.
    """

    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    offline: bool = False
    error: bool = False
    mute_status: bool = False
    paper_out_after: int | None = None
    stall_after: int | None = None


class SimulatedPrinter:
    """An ESC/POS printer in memory; thread-safe.

    With ``archive`` (a folder) every ticket that is cut is also written there as
    ``NNN-<number>.png`` (what the paper shows) and ``NNN-<number>.bin`` (the bytes of that
    job, status requests left out), for the demo and for technicians; a page without a
    large number (the test page) is ``NNN-page``.
    """

    def __init__(
        self,
        profile: PrinterProfile = DEFAULT_80MM,
        faults: Faults | None = None,
        archive: Path | None = None,
    ):
        self.profile = profile
        self.faults = faults or Faults()
        self.archive = archive
        self._lock = threading.Lock()
        self._decoder = Decoder()
        self._received = bytearray()
        self._printed: list[Element] = []
        self._job_start = 0
        self._job_elements: list[Element] = []
        self.archived: list[Path] = []

    @property
    def stalled(self) -> bool:
        """True once the printer has stopped taking bytes (``Faults.stall_after``)."""
        limit = self.faults.stall_after
        return limit is not None and len(self._received) >= limit

    @property
    def received(self) -> bytes:
        """Every byte taken so far, status requests included (the raw job log)."""
        with self._lock:
            return bytes(self._received)

    def receive(self, data: bytes) -> bytes:
        """Takes ``data`` (less, once stalled) and returns the status replies it asked for."""
        replies = bytearray()
        with self._lock:
            stalls = False
            if self.faults.stall_after is not None:
                room = max(0, self.faults.stall_after - len(self._received))
                stalls = room < len(data)
                data = data[:room]
            limit = self.faults.paper_out_after
            if limit is not None and not self.faults.paper_out:
                room = limit - len(self._received)
                if room < len(data):
                    self._take(data[: max(0, room)], replies)
                    data = data[max(0, room) :]
                    self.faults.paper_out = True
                    log.info("simulated printer: paper ran out mid-job")
            self._take(data, replies)
            if stalls:  # a printer that hangs mid-ticket has printed no ticket
                self._decoder.drop_partial()
                self._job_elements.clear()
                self._job_start = len(self._received)
        return bytes(replies)

    def _take(self, data: bytes, replies: bytearray) -> None:
        self._received += data
        new = self._decoder.feed(data)
        ends = self._decoder.ends[len(self._decoder.ends) - len(new) :]
        for element, end in zip(new, ends, strict=True):
            if isinstance(element, StatusRequest):
                if not self.faults.mute_status and element.n in dle.QUERIES:
                    replies += self._reply(element.n)
            elif self._can_print():
                self._printed.append(element)
                self._job_elements.append(element)
                if isinstance(element, Cut):
                    self._archive(end)
            else:  # a job cut short by a fault is no ticket: the archive starts afresh
                self._job_elements.clear()
                self._job_start = end

    def _archive(self, end: int) -> None:
        elements, self._job_elements = self._job_elements, []
        begin = self._received.find(b"\x1b@", self._job_start, end)  # the job's ESC @
        job = bytes(self._received[begin if begin >= 0 else self._job_start : end])
        self._job_start = end
        if self.archive is None:
            return
        big = [e for e in elements if isinstance(e, TextLine) and e.width >= 3 and e.text.strip()]
        label = "".join(c for c in (big[0].text if big else "page") if c.isalnum())[:12]
        stem = self.archive / f"{len(self.archived) + 1:03d}-{label or 'page'}"
        try:
            png = render_png(elements, stem.with_suffix(".png"), self.profile.dots)
            stem.with_suffix(".bin").write_bytes(job)
        except OSError as exc:
            log.warning("simulated printer: cannot archive %s: %s", stem, exc)
            return
        self.archived.append(png)

    def _can_print(self) -> bool:
        f = self.faults
        return not (f.paper_out or f.cover_open or f.offline or f.error)

    def _reply(self, n: int) -> bytes:
        f = self.faults
        return dle.reply_byte(
            n,
            offline=f.offline,
            cover_open=f.cover_open,
            paper_out=f.paper_out,
            near_end=f.paper_near_end,
            error=f.error,
        )

    def printed(self) -> list[Element]:
        """Every element printed so far (not those sent while paper was out or cover open)."""
        with self._lock:
            return list(self._printed)

    def tickets(self) -> list[list[Element]]:
        """The printed elements cut into tickets; an uncut tail is left out."""
        tickets: list[list[Element]] = [[]]
        for element in self.printed():
            tickets[-1].append(element)
            if isinstance(element, Cut):
                tickets.append([])
        return tickets[:-1]

    def render_png(self, path: Path, elements: list[Element] | None = None) -> Path:
        """Draws ``elements`` (default: all printed so far) as the paper would look."""
        chosen = self.printed() if elements is None else elements
        return render_png(chosen, path, self.profile.dots)

    def clear(self) -> None:
        """Forgets what was received and printed (the faults stay)."""
        with self._lock:
            self._decoder = Decoder()
            self._received.clear()
            self._printed.clear()
            self._job_start = 0
            self._job_elements.clear()


class SimulatorTransport:
    """The in-process link to a ``SimulatedPrinter`` (config name "simulator")."""

    def __init__(self, printer: SimulatedPrinter) -> None:
        self.printer = printer
        self._replies = bytearray()
        self._open = False

    @property
    def describe(self) -> str:
        return "simulator"

    def open(self, timeout: float) -> None:
        self._open = True

    def write(self, data: bytes, timeout: float) -> None:
        self._replies += self.printer.receive(data)
        if self.printer.stalled:
            time.sleep(timeout)  # a stalled printer takes nothing until the deadline
            raise PrinterError(
                FailureReason.TIMEOUT, f"simulator: printer took no data for {timeout:g} s"
            )

    def read(self, size: int, timeout: float) -> bytes:
        got, self._replies = bytes(self._replies[:size]), self._replies[size:]
        return got

    def discard_input(self) -> None:
        self._replies.clear()

    def close(self) -> None:
        self._open = False
        self._replies.clear()


class SimulatorServer:
    """A TCP listener that makes a ``SimulatedPrinter`` look like a network printer."""

    def __init__(self, printer: SimulatedPrinter, host: str = "127.0.0.1", port: int = 9100):
        self.printer = printer
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self.host, self.port = self._listener.getsockname()[:2]

    def start(self) -> SimulatorServer:
        thread = threading.Thread(target=self._accept, name="printer-sim", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops listening, drops every connection and joins the threads."""
        self._stop.set()
        self._listener.close()
        for conn in list(self._conns):
            conn.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.05)
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                if self.printer.stalled:
                    self._stop.wait(0.05)  # read nothing, answer nothing: a hung printer
                    continue
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                replies = self.printer.receive(data)
                if replies:
                    try:
                        conn.sendall(replies)
                    except OSError:
                        return
