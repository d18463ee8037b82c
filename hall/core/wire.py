"""Records that cross a boundary as JSON objects: event data, command results.

A record is a frozen dataclass; `to_dict()` is its JSON object as documented (fields in
`OPTIONAL` are left out when None, every other field is always there, None included) and
`from_dict()` reads one back, ignoring keys it does not know (a newer peer may add some).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

JsonDict = dict[str, Any]


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_WRITERS: dict[type, Callable[[Any], JsonDict]] = {}


def _writer(cls: type, optional: frozenset[str]) -> Callable[[Any], JsonDict]:
    """`to_dict` of one record class, written out field by field once (as dataclasses
    writes its __init__): a command's payload and result are made on every command."""
    lines = ["def to_dict(self):", "    out = {}"]
    for name in _names(cls):
        if not name.isidentifier():
            raise TypeError(f"{cls.__name__}.{name}: not a field name")
        lines.append(f"    v = self.{name}")
        put = f"out[{name!r}] = v.value if isinstance(v, Enum) else v"
        lines.append(f"    if v is not None: {put}" if name in optional else f"    {put}")
    lines.append("    return out")
    scope: dict[str, Any] = {"Enum": enum.Enum}
    exec("\n".join(lines), scope)  # the class's own field names only
    fn: Callable[[Any], JsonDict] = scope["to_dict"]
    return fn


@dataclass(frozen=True, slots=True)
class Record:
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> JsonDict:
        cls = type(self)
        write = _WRITERS.get(cls)
        if write is None:
            write = _WRITERS[cls] = _writer(cls, self.OPTIONAL)
        return write(self)

    @classmethod
    def from_dict(cls, data: JsonDict) -> Self:
        """The record a JSON object describes; ValueError naming what is missing."""
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ValueError(f"{cls.__name__}: {exc}") from None
