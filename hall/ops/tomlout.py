"""TOML text from the plain data `tomllib` reads (the standard library reads TOML only).

Enough for the hall's config file: tables, arrays of tables, strings, integers, floats,
booleans, arrays and inline tables. `tomllib.loads(dumps(d)) == d` (tested).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(s: str) -> str:
    # JSON's escapes are TOML basic-string escapes; TOML also forbids DEL unescaped.
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def value(v: Any) -> str:
    """One TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("NaN and infinity are not config values")
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"cannot write a {type(v).__name__} as TOML")


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _table(path: list[str], table: dict[str, Any], out: list[str]) -> None:
    for k, v in table.items():
        if not isinstance(v, dict) and not _is_tables(v):
            out.append(f"{_key(k)} = {value(v)}")
    for k, v in table.items():
        if isinstance(v, dict):
            out.append("")
            out.append("[" + ".".join(_key(p) for p in [*path, k]) + "]")
            _table([*path, k], v, out)
        elif _is_tables(v):
            for item in v:
                out.append("")
                out.append("[[" + ".".join(_key(p) for p in [*path, k]) + "]]")
                _table([*path, k], item, out)


def dumps(data: dict[str, Any], header: str = "") -> str:
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    if out:
        out.append("")
    _table([], data, out)
    return "\n".join(out).strip("\n") + "\n"
