"""Only `hall/store` knows the tables of the hub's database.

Everything else reads through the read side (`hall.store.read.HallReader`) and writes
through the hub. This test walks every SQL string in product code outside `hall/store` and
fails on one that names a table of the hub's database. Modules with a database of their own
(sync's state, the pads' journal, the city peer's store) may name the tables that their own
schema creates, and only those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hall", "hub", "kiosk", "display", "counter_pad", "sync", "drivers", "appliance")
STORE = ROOT / "hall" / "store"

HUB_TABLES = frozenset(
    {
        "tickets",
        "counters",
        "events",
        "appointments",
        "evaluations",
        "service_stats",
        "serials",
        "devices",
        "catalog",
        "hall",
        "idempotency",
        "meta",
    }
)

OWN_DATABASES = {
    "sync/state.py": "sync/state.py",  # sync's inbox, cursors and counters
    "sync/city_peer/": "sync/city_peer/store.py",  # the city's side, a simulator
    "counter_pad/memory.py": "counter_pad/memory.py",  # the pads' key journal
}
"""Module (or folder) → the file whose CREATE TABLEs are that database's schema."""

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|REPLACE|WITH)\b")
TABLE_REF = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+"
    r"(?:\w+\.)?[\"`\[]?(\w+)"
)
CREATED = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?(\w+)")


def strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string constant, f-strings with their placeholders as `{}`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                for v in node.values
            ]
            yield node.lineno, "".join(parts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def tables_named(sql: str) -> set[str]:
    if not SQL.search(sql):
        return set()
    return {m.group(1).lower() for m in TABLE_REF.finditer(sql)}


def own_tables(schema_file: str) -> set[str]:
    text = (ROOT / schema_file).read_text(encoding="utf-8")
    return {m.group(1).lower() for m in CREATED.finditer(text)}


def allowed_for(rel: str) -> set[str]:
    for owner, schema_file in OWN_DATABASES.items():
        if rel == owner or (owner.endswith("/") and rel.startswith(owner)):
            return own_tables(schema_file)
    return set()


def product_files() -> Iterator[Path]:
    for pkg in PRODUCT:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if STORE not in path.parents:
                yield path


def test_the_detector_sees_sql_and_only_sql() -> None:
    assert tables_named("SELECT seq, data FROM events WHERE seq > ?") == {"events"}
    assert tables_named('INSERT OR REPLACE INTO "meta" VALUES (?, ?)') == {"meta"}
    assert tables_named("UPDATE main.tickets SET state = ?") == {"tickets"}
    assert tables_named("SELECT e.* FROM evaluations e JOIN tickets t ON 1") == {
        "evaluations",
        "tickets",
    }
    assert tables_named("the events from the hub, into the counters") == set()


def test_no_sql_outside_the_store_names_a_table_of_the_hubs_database() -> None:
    offenders = []
    seen_sql = 0
    for path in product_files():
        rel = path.relative_to(ROOT).as_posix()
        allowed = allowed_for(rel)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for line, text in strings(tree):
            named = tables_named(text)
            seen_sql += bool(named)
            for table in sorted((named & HUB_TABLES) - allowed):
                offenders.append(f"{rel}:{line}: {table!r} in {text.strip()[:80]!r}")
    assert not offenders, "read through hall.store.read instead:\n" + "\n".join(offenders)
    assert seen_sql >= 20  # the walk does find the SQL of the other databases


def test_the_own_databases_exist_as_listed() -> None:
    for owner, schema_file in OWN_DATABASES.items():
        assert (ROOT / owner).exists(), owner
        assert own_tables(schema_file), schema_file


def test_sqlite_utils_is_used_by_the_store_only() -> None:
    """sqlite-utils names tables as strings (`db["tickets"]`), which the SQL walk above
    cannot see: it stays inside the read side."""
    users = []
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "sqlite_utils" for n in names):
                users.append(path.relative_to(ROOT).as_posix())
    assert not users
