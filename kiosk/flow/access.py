"""长辈模式 and the language: larger high-contrast text, no countdown, and spoken guidance on
every screen (kiosk.guide); English for visitors."""

from __future__ import annotations

from collections.abc import Callable

from kiosk import guide as g
from kiosk.flow.results import Results
from kiosk.flow.router import Router, Screen


class Accessibility:
    def __init__(
        self,
        router: Router,
        results: Results,
        guide: g.Guide | None,
        paused: Callable[[], str | None] = lambda: None,
    ) -> None:
        """``paused``: the printer's state while ticketing is paused (home says so aloud)."""
        self.r = router
        self.results = results
        self.guide = guide
        self._paused = paused
        router.on_enter(self._entered)

    def toggle_elder(self) -> None:
        r = self.r
        r.touch()
        r.elder = not r.elder
        r.go(r.screen, speak=False)
        r.notify("elder")
        if r.elder:
            self.say(g.phrase("已进入长辈模式，" + g.GUIDANCE.get(r.screen.value, "")))

    def toggle_language(self) -> None:
        self.r.touch()
        self.r.lang = "en" if self.r.lang == "zh" else "zh"
        self.r.notify("lang")

    def say(self, sentence: g.Sentence) -> None:
        if self.guide is not None and self.r.elder:
            self.guide.say(sentence)

    def _entered(self, screen: Screen) -> None:
        if self.guide is None or not self.r.elder:
            return
        res = self.results
        if screen is Screen.HOME and self._paused() is not None:
            self.say(g.phrase(g.PAUSED))
            return
        sentence = g.sentence_for(screen.value, res.outcome, res.notice, self.r.busy_key)
        if sentence is not None:
            self.say(sentence)
