"""TOML text for the hall's config files, with tomli-w (the standard library only reads TOML).

`dumps(data, header)` puts `header` as `#` comment lines above the document;
`tomllib.loads(dumps(d)) == d` for the plain data tomllib reads (tested).
"""

from __future__ import annotations

from typing import Any

import tomli_w


class TomlWriteError(ValueError):
    """The data holds something TOML cannot say (a None, an object)."""


def dumps(data: dict[str, Any], header: str = "") -> str:
    try:
        body = tomli_w.dumps(data)
    except TypeError as exc:
        raise TomlWriteError(f"cannot write as TOML: {exc}") from None
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return ("\n".join(lines) + "\n\n" if lines else "") + body
