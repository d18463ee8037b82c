"""Refusals: a command the rules do not allow, with a code for software and words for people."""

from __future__ import annotations


class Refused(Exception):
    """A command was refused; nothing changed.

    `code` is stable for software, `message` is Chinese for the citizen or staff member in
    front of the screen, `hint` says what to do next.
    """

    def __init__(self, code: str, message: str, hint: str = "", **details: object) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = dict(self.details)
        return out
