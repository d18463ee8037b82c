"""Messages checked against a JSON Schema document that ships in a package (the hall bus's,
the city link's): one place for how.

Two well-kept libraries: fastjsonschema compiles each definition to a Python function that
accepts a valid message in a microsecond or two (the hub checks every request; a 500-event
city batch takes about a millisecond, where the reference validator takes a fifth of a
second); jsonschema, the reference implementation, explains what is wrong with one that
fails. The compiled check only ever lets through what jsonschema would accept: when it
refuses, jsonschema decides.

For large messages, a third: jsonschema-rs (Rust) checks a 500-event city batch in about
0.4 ms where fastjsonschema's generated Python takes 4 (`rust_check`); used the same way, a
quick yes or no, a no going to the other two.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator


class SchemaDocument:
    """The `$defs` of one schema file, `package`/schema/`filename`."""

    def __init__(self, package: str, filename: str) -> None:
        self.package = package
        self.filename = filename

    @functools.cached_property
    def document(self) -> dict[str, Any]:
        text = (resources.files(self.package) / "schema" / self.filename).read_text("utf-8")
        data: dict[str, Any] = json.loads(text)
        return data

    def _definition(self, name: str) -> tuple[Any, dict[str, Any]]:
        defs: dict[str, Any] = self.document["$defs"]
        if name not in defs:
            raise KeyError(f"no schema definition {name!r}")
        return defs[name], defs

    @functools.cache  # noqa: B019 - a few documents, kept for the process's life
    def validator(self, name: str) -> Draft202012Validator:
        node, defs = self._definition(name)
        # References resolved once here: a message is checked in microseconds, not a ms.
        return Draft202012Validator(inline(node, defs))

    @functools.cache  # noqa: B019 - as above
    def fast_check(self, name: str) -> Callable[[Any], Any]:
        """The definition compiled by fastjsonschema (draft-07: nothing newer is used once
        the references are inlined); raises `fastjsonschema.JsonSchemaException`."""
        node, defs = self._definition(name)
        compiled: Callable[[Any], Any] = fastjsonschema.compile(
            {"$schema": "http://json-schema.org/draft-07/schema#", **inline(node, defs)}
        )
        return compiled

    @functools.cache  # noqa: B019 - as above
    def rust_check(self, name: str) -> Callable[[Any], bool]:
        """The definition compiled by jsonschema-rs: True when `message` is valid, False when
        not, or when jsonschema-rs cannot take it (`errors` then decides). For what
        `json.loads` makes: it takes a tuple for an array, which jsonschema does not."""
        import jsonschema_rs  # here: 5 MB more in a process that never needs it (hall sync)

        node, defs = self._definition(name)
        compiled = jsonschema_rs.Draft202012Validator(inline(node, defs), validate_formats=False)

        def check(message: Any) -> bool:
            try:
                return compiled.is_valid(message)
            except (ValueError, TypeError, RecursionError, OverflowError):
                return False

        return check

    def errors(self, name: str, message: Any) -> list[Any]:
        """jsonschema's errors for `message` as `name` ([] at once when the fast check passes)."""
        try:
            self.fast_check(name)(message)
            return []
        except fastjsonschema.JsonSchemaException:
            pass  # the reference validator decides, and says where
        return sorted(self.validator(name).iter_errors(message), key=lambda e: list(e.path))


def where(err: Any) -> str:
    """An error's path in the message ("(top)" for the message itself)."""
    return "/".join(str(x) for x in err.absolute_path) or "(top)"


def inline(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `#/$defs/…` reference replaced by its definition."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            target = inline(defs[ref.removeprefix("#/$defs/")], defs)
            return {"allOf": [target, inline(rest, defs)]} if rest else target
        return {k: inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, defs) for v in node]
    return node
