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


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


@dataclass(frozen=True, slots=True)
class Record:
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> JsonDict:
        out: JsonDict = {}
        optional = self.OPTIONAL
        for name in _names(type(self)):
            v = getattr(self, name)
            if v is None and name in optional:
                continue
            out[name] = v.value if isinstance(v, enum.Enum) else v
        return out

    @classmethod
    def from_dict(cls, data: JsonDict) -> Self:
        """The record a JSON object describes; ValueError naming what is missing."""
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ValueError(f"{cls.__name__}: {exc}") from None
