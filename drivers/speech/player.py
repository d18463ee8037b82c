"""Playback: a player process with a deadline and a checked exit code, and simulators.

- `CommandPlayer`: writes the announcement to a temporary WAV and runs a player command on
  it (``aplay -q`` by default; ``paplay`` or anything taking a file path as its last
  argument). It must exit 0 within the audio's length plus a margin, else it is killed and
  a `PlaybackError` says why: a missing player or sound card is an error, never silence.
- `FilePlayer`: the simulator for the demo and technicians: writes ``NNN.wav`` with the
  spoken text beside it as ``NNN.txt`` into a folder, numbering on from what is there.
- `NullPlayer`: keeps what it was given in memory, for tests and benchmarks.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .audio import Audio
from .process import DeadlineExpired, run_with_deadline

PLAYER_NAMES = ("aplay", "paplay", "file", "null")


class PlaybackError(RuntimeError):
    """The player failed, timed out or is missing.

    `state` is the short code a device report carries: ``failed``, ``timeout``,
    ``not_installed`` (the player cannot start) or ``write_failed``.
    """

    def __init__(self, message: str, state: str = "failed") -> None:
        super().__init__(message)
        self.state = state


class Player(Protocol):
    def play(self, audio: Audio, text: str) -> None:
        """Play `audio` to the end (or record it), or raise PlaybackError."""
        ...


class CommandPlayer:
    def __init__(self, command: Sequence[str] = ("aplay", "-q"), margin_s: float = 3.0) -> None:
        if not command:
            raise ValueError("player command is empty")
        self.command = tuple(command)
        self.margin_s = margin_s

    def play(self, audio: Audio, text: str) -> None:
        timeout = audio.duration + self.margin_s
        with tempfile.TemporaryDirectory(prefix="announce-") as tmp:
            path = Path(tmp) / "announcement.wav"
            audio.write(path)
            argv = [*self.command, str(path)]
            try:
                finished = run_with_deadline(argv, timeout)
            except OSError as exc:
                raise PlaybackError(
                    f"cannot start player {argv[0]!r}: {exc}", "not_installed"
                ) from exc
            except DeadlineExpired as exc:
                raise PlaybackError(f"player {exc}", "timeout") from None
        if finished.returncode != 0:
            raise PlaybackError(
                f"player {argv[0]!r} exit code {finished.returncode}: {finished.last_line()}"
            )


class FilePlayer:
    """Writes NNN.wav, NNN.txt (the spoken text) and NNN.pinyin (what the engine read, when
    known: the announcer passes it) into `folder` instead of playing: a technician or a
    test hears and reads what a citizen would hear."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _NNN.fullmatch(p.name))]
        self._next = max(numbers, default=0) + 1
        self._lock = threading.Lock()

    def play(self, audio: Audio, text: str, reading: str = "") -> None:
        with self._lock:
            number = self._next
            self._next += 1
        stem = self.folder / f"{number:03d}"
        try:
            audio.write(stem.with_suffix(".wav"))
            stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
            if reading:
                stem.with_suffix(".pinyin").write_text(reading + "\n", encoding="utf-8")
        except OSError as exc:
            raise PlaybackError(f"cannot write {stem}.wav: {exc}", "write_failed") from exc


_NNN = re.compile(r"(\d{3,})\.wav")


@dataclass(frozen=True)
class Played:
    text: str
    audio: Audio
    started: float  # time.monotonic() when handed to the player


class NullPlayer:
    """Records each announcement (text, audio, time handed over); plays nothing.

    `keep` bounds what it records (the last `keep`; 0 keeps nothing): an announcement is
    about half a megabyte, so the player named "null" in a config keeps none.
    """

    def __init__(
        self, hook: Callable[[Played], None] | None = None, *, keep: int | None = None
    ) -> None:
        self.played: list[Played] = []
        self._hook = hook
        self._keep = keep

    def play(self, audio: Audio, text: str) -> None:
        item = Played(text, audio, time.monotonic())
        self.played.append(item)
        if self._keep is not None and len(self.played) > self._keep:
            del self.played[: len(self.played) - self._keep]
        if self._hook is not None:
            self._hook(item)


def make_player(name: str, *, folder: Path | None = None, command: str | None = None) -> Player:
    """The player called `name`: aplay, paplay (optionally a custom `command`), file, null."""
    if name in ("aplay", "paplay"):
        argv = shlex.split(command) if command else ([name, "-q"] if name == "aplay" else [name])
        return CommandPlayer(argv)
    if name == "file":
        if folder is None:
            raise ValueError("player 'file' needs a folder")
        return FilePlayer(folder)
    if name == "null":
        return NullPlayer(keep=0)
    raise ValueError(f"unknown audio player {name!r}; choose one of {', '.join(PLAYER_NAMES)}")
