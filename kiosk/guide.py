"""Spoken guidance in elder mode, through the speech driver (drivers/speech).

``Guide.say`` never blocks: it leaves the sentence for a worker thread, which synthesises it
with the engine's deadline and hands it to the player. Only the newest sentence matters (a
citizen who has moved on to the next screen needs that screen's words), so a sentence still
waiting is replaced, never queued behind. Failures are reported through ``on_fault`` (the
kiosk turns them into device reports) and the kiosk keeps working silently.

Sentences (``Sentence``) are pure data: text, numbers (read as Chinese cardinals) and ticket
numbers (read letter by letter, digit by digit), turned into the driver's ``Phrase`` on the
worker. The speech driver is imported by the worker when it first speaks; the readings of a
sentence's words come from its pinyin helper process, once per new sentence, then cached.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_SPEAKABLE = re.compile(r"[0-9]+|[\u3400-\u4dbf\u4e00-\u9fffA-Za-z]+|[，。、；：！？,.;:!?]")
_PAUSES = "，。、；：！？,.;:!?"


@dataclass(frozen=True)
class Number:
    value: int


@dataclass(frozen=True)
class TicketNo:
    number: str


Part = str | Number | TicketNo


@dataclass(frozen=True)
class Sentence:
    parts: tuple[Part, ...]

    @property
    def display(self) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, Number):
                out.append(str(part.value))
            elif isinstance(part, TicketNo):
                out.append(f" {part.number} ")
            else:
                out.append(part)
        return re.sub(r" +", " ", "".join(out)).strip()

    def tokens(self) -> tuple[str, ...]:
        """What the pinyin layer reads (imports drivers.speech.text)."""
        from drivers.speech.text import cardinal, ticket_tokens

        tokens: list[str] = []
        for part in self.parts:
            if isinstance(part, Number):
                tokens.append(cardinal(part.value))
            elif isinstance(part, TicketNo):
                tokens.extend(ticket_tokens(part.number))
            else:
                tokens.extend(speakable(part, cardinal))
        return tuple(tokens)


def speakable(text: str, cardinal: Callable[[int], str]) -> tuple[str, ...]:
    """``text`` as tokens the pinyin layer reads: digit runs as cardinals, pauses kept."""
    tokens: list[str] = []
    for match in _SPEAKABLE.finditer(text):
        part = match.group()
        if part.isdigit():
            tokens.append(cardinal(int(part)) if len(part) <= 8 else part)
        elif part[0] in _PAUSES:
            tokens.append("，")
        else:
            tokens.append(part)
    return tuple(tokens)


def phrase(text: str) -> Sentence:
    return Sentence((text,))


def phrase_ticket(number: str, ahead: int, est: int | None) -> Sentence:
    parts: list[Part] = ["请取走您的号票，您的号码是", TicketNo(number), "号，"]
    parts += ["前面还有", Number(ahead), "人"] if ahead else ["前面没有人等候"]
    if est is not None and ahead:
        parts += ["，预计等待约", Number(est), "分钟"]
    return Sentence(tuple(parts))


def phrase_failed(number: str, voided: bool) -> Sentence:
    """作废 first: a voided number is never read out as if it were valid."""
    if voided:
        return Sentence(("此号已作废，号票没有打印好，请不要使用。请到服务台，工作人员为您办理",))
    return Sentence(
        ("号票没有打印好。您的号码是", TicketNo(number), "号，请记下号码，到服务台补打号票")
    )


def phrase_arrived(number: str, already: bool) -> Sentence:
    """A phone ticket checked in; the place in line is on the screen."""
    head = "您已签到，请留意叫号。" if already else "签到成功。"
    return Sentence((head + "您的号码是", TicketNo(number), "号，请在大厅等候，留意叫号"))


GUIDANCE: dict[str, str] = {
    "home": "请选择您要办理的业务；预约过的，或在手机上取了号的，请点签到",
    "search": "请按业务名称的拼音首字母查找",
    "priority": "七十岁以上老人、残疾人、孕妇请选择绿色通道，其他请点普通取号",
    "busy": "正在处理，请稍候",
    "checkin": "请扫描手机上的预约二维码或取号二维码，或输入六位预约码",
    "arrival": "请先点号码的字母，再点数字，然后输入取号手机号的后四位",
    "closed": "现在不在办理时间",
    "offline": "系统暂时无法连接，请稍后再试，或咨询工作人员",
    "nearby": "以下是附近可以办理的网点",
}
"""What elder mode says on each screen (by kiosk.flow.router.Screen value)."""
PAUSED = "暂停取号。打印机暂停服务，工作人员正在处理，请稍候，或到服务台咨询"


def sentence_for(screen: str, outcome: Any, notice: Any, busy_key: str) -> Sentence | None:
    """The guidance for a screen: the ticket's number and wait, the refusal's words, or the
    screen's fixed sentence."""
    from kiosk.outcomes import Arrived, Issued, PrintFailed

    if screen == "ticket" and isinstance(outcome, Issued):
        tk = outcome.ticket
        return phrase_ticket(tk.number, tk.waiting_ahead, tk.est_wait_min)
    if screen == "arrived" and isinstance(outcome, Arrived):
        return phrase_arrived(outcome.number, outcome.already)
    if screen == "failed" and isinstance(outcome, PrintFailed):
        return phrase_failed(outcome.ticket.number, outcome.voided)
    if screen == "refused" and notice is not None:
        return phrase(f"{notice.message}，{notice.hint}")
    if screen == "busy":
        return phrase("正在出票，请稍候" if busy_key == "printing" else "请稍候")
    text = GUIDANCE.get(screen)
    return phrase(text) if text else None


Voice = tuple[Any, Any]  # (drivers.speech.SpeechEngine, drivers.speech.Player)


class Guide:
    """Speaks ``Sentence`` values; ``voice`` builds (engine, player) on the worker, once."""

    def __init__(
        self,
        voice: Callable[[], Voice],
        *,
        deadline_s: float = 5.0,
        on_fault: Callable[[str, str], None] | None = None,
    ) -> None:
        self._voice_factory = voice
        self._voice: Voice | None = None
        self._deadline = deadline_s
        self._on_fault = on_fault
        self._cond = threading.Condition()
        self._next: Sentence | None = None
        self._busy = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="guide", daemon=True)
        self.spoken: list[str] = []

    @classmethod
    def with_voice(cls, engine: Any, player: Any, **kwargs: Any) -> Guide:
        return cls(lambda: (engine, player), **kwargs)

    def start(self) -> Guide:
        """Start the worker (once; later calls do nothing)."""
        if not self._thread.is_alive() and not self._stopping:
            self._thread.start()
        return self

    def say(self, sentence: Sentence) -> None:
        if not sentence.display:
            return
        with self._cond:
            self._next = sentence
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._next is None and not self._busy, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._next = None
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._next is not None)
                if self._stopping:
                    return
                sentence, self._next = self._next, None
                self._busy = True
            try:
                if sentence is not None:
                    self._speak(sentence)
            except Exception as exc:  # the guide must outlive any one sentence
                log.exception("guidance failed")
                self._fault("speech", f"unexpected {type(exc).__name__}")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _speak(self, sentence: Sentence) -> None:
        from drivers.speech import Phrase, PlaybackError, SpeechError
        from drivers.speech.pinyin import warm

        if self._voice is None:
            self._voice = self._voice_factory()
        engine, player = self._voice
        tokens = sentence.tokens()
        warm(tokens)  # a sentence's new words: read in one helper run, then cached
        phrase_ = Phrase(tokens, sentence.display)
        try:
            audio = engine.synthesize(phrase_, self._deadline)
        except SpeechError as exc:
            log.warning("guidance not spoken: %s", exc)
            self._fault("speech", str(exc))
            return
        try:
            player.play(audio, phrase_.display)
        except PlaybackError as exc:
            log.warning("guidance not played: %s", exc)
            self._fault("audio", str(exc))
            return
        self.spoken.append(phrase_.display)

    def _fault(self, kind: str, message: str) -> None:
        if self._on_fault is not None:
            self._on_fault(kind, message)
