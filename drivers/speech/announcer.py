"""The announcer: a worker thread that speaks queued calls one at a time.

`announce()` only queues (under a lock) and returns at once, so the GUI thread never waits
on speech. The worker takes the next `Announcement` (rules in `drivers.speech.schedule`),
synthesises its sentence with the engine's deadline, joins chime + sentence x N into one
WAV at the volume of the hour, and hands it to the player, which plays to the end before
the next one starts: announcements never overlap.

Failures: when synthesis fails or times out (the engine kills its process at the deadline)
the chime alone is played; when the player fails, the announcement is lost to the ears but
the screen has shown it. The worker keeps going either way. Health is reported on changes
only: the first outcome after start (so a restarted display tells the hub it is well again),
then `on_health(Health("speech", ok=False, state="timeout", ...))` on the first failure,
nothing while it keeps failing, `Health("speech", ok=True, state="ok")` on the first success
after it; the same for ``audio`` (the player). The caller turns these into `report_device`
commands. `on_health` runs on the worker thread: a Qt caller passes it on through a queued
signal, and it must not block for long.

A hung engine that is a process is killed at `synth_deadline_s` by the engine itself; a
player is killed at the audio's length plus its margin. So the worker never stalls longer
than those, and `announce()` never waits on it at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .audio import Audio, join, limit_peak, make_chime, scale, trim_silence
from .engine import SpeechEngine, SpeechError
from .pinyin import to_pinyin
from .player import FilePlayer, PlaybackError, Player
from .schedule import Announcement, AnnouncementQueue, SpeechSettings, plan_for
from .text import Call
from .voicepack import VoicePackEngine

_log = logging.getLogger(__name__)

CHIME_ONLY = "[chime only] "


@dataclass(frozen=True)
class Health:
    """A change in the health of the speech engine (``speech``) or the player (``audio``)."""

    kind: str
    ok: bool
    state: str  # "ok", or the error's code: failed, timeout, not_installed, no_output, ...
    detail: str = ""


HealthCallback = Callable[[Health], None]


class Announcer:
    def __init__(
        self,
        engine: SpeechEngine,
        player: Player,
        settings: SpeechSettings | None = None,
        *,
        chime: Audio | None = None,
        on_health: HealthCallback | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.settings = settings or SpeechSettings()
        self._engine = engine
        self._player = player
        self._chime = chime if chime is not None else default_chime(engine)
        self._on_health = on_health
        self._health: dict[str, str] = {}  # kind -> last state reported; first outcome reported
        self._chimes: dict[float, Audio] = {}
        self.announced = 0  # announcements handed to the player (or played, for the tests)
        self._clock = clock
        self._queue = AnnouncementQueue(self.settings)
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("announcer already started")
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def announce(self, call: Call) -> bool:
        """Queue a call or recall; never blocks on speech. True if it merged with a waiting one.

        Raises ValueError for a malformed call, which is not queued.
        """
        with self._cond:
            merged = self._queue.push(call)
            self._cond.notify_all()
        return merged

    def waiting(self) -> tuple[Call, ...]:
        with self._cond:
            return self._queue.waiting()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing waits and nothing plays; False if `timeout` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy and not len(self._queue), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the announcement in progress; calls still waiting are dropped (logged)."""
        with self._cond:
            self._stopping = True
            dropped = len(self._queue)
            self._cond.notify_all()
        if dropped:
            _log.warning("announcer stopped with %d calls not announced", dropped)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                _log.warning("announcer thread still busy after %.1f s", timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or len(self._queue) > 0)
                if self._stopping:
                    return
                announcement = self._queue.pop()
                self._busy = True
            try:
                if announcement is not None:
                    self._speak(announcement)
            except Exception as exc:  # the worker must outlive any one announcement
                _log.exception("announcement failed")
                self._set_health("speech", "failed", f"unexpected {type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _speak(self, announcement: Announcement) -> None:
        plan = plan_for(announcement, self.settings, self._clock().time())
        phrase = announcement.phrase
        sentence: Audio | None = None
        if plan.speak:
            try:
                spoken = self._engine.synthesize(phrase, self.settings.synth_deadline_s)
                # the gaps between repeats are ours; scale once, repeat the same samples
                sentence = scale(limit_peak(trim_silence(spoken)), plan.volume)
                self._set_health("speech", "ok")
            except SpeechError as exc:
                _log.warning("speech failed, chime only: %s", exc)
                self._set_health("speech", exc.state, str(exc))
        parts = [self._chime_at(plan.volume)] if plan.chime or plan.speak else []
        if sentence is not None:
            parts += [sentence] * plan.repeats
        if not parts:
            _log.info("quiet hours: %s not played", announcement.tickets)
            return
        rate = sentence.rate if sentence is not None else self._chime.rate
        audio = join(parts, self.settings.gap_s, rate)
        text = phrase.display if sentence is not None else CHIME_ONLY + phrase.display
        try:
            if isinstance(self._player, FilePlayer) and sentence is not None:
                self._player.play(audio, text, reading=to_pinyin(phrase.tokens))
            else:
                self._player.play(audio, text)
            self.announced += 1
            self._set_health("audio", "ok")
        except PlaybackError as exc:
            _log.warning("playback failed: %s", exc)
            self._set_health("audio", exc.state, str(exc))

    def _chime_at(self, volume: float) -> Audio:
        if volume not in self._chimes:
            self._chimes[volume] = scale(self._chime, volume)
        return self._chimes[volume]

    def _set_health(self, kind: str, state: str, detail: str = "") -> None:
        """Report `kind` to the caller when its state changed; runs on the worker thread."""
        if self._health.get(kind) == state:
            return
        self._health[kind] = state
        if self._on_health is None:
            return
        try:
            self._on_health(Health(kind, state == "ok", state, detail[:200]))
        except Exception:
            _log.exception("health callback failed")


def default_chime(engine: SpeechEngine) -> Audio:
    """The voice pack's chime.wav when the engine is a pack that has one, else the built-in."""
    if isinstance(engine, VoicePackEngine) and (recorded := engine.chime()) is not None:
        return recorded
    return make_chime()
