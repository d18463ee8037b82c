"""Records that cross a boundary as JSON objects: event data, command results.

A record is a frozen dataclass; `to_dict()` is its JSON object as documented (fields in
`OPTIONAL` are left out when None, every other field is always there, None included) and
`from_dict()` reads one back, ignoring keys it does not know (a newer peer may add some).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, ClassVar, Self

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Record:
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> JsonDict:
        out: JsonDict = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None and f.name in self.OPTIONAL:
                continue
            out[f.name] = v.value if isinstance(v, enum.Enum) else v
        return out

    @classmethod
    def from_dict(cls, data: JsonDict) -> Self:
        """The record a JSON object describes; ValueError naming what is missing."""
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ValueError(f"{cls.__name__}: {exc}") from None
