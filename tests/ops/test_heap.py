"""A role's start-up heap is collected and frozen once it has started (hall/heap.py)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hall", "hub", "counter_pad", "sync", "display", "kiosk", "appliance", "drivers")

# In a process of its own: freezing the test worker's heap would keep its garbage for good.
SETTLE = r"""
import gc, json, weakref
from hall import heap
import hall.core.decide, hall.hubapi.protocol  # a role's worth of modules and objects

class Node:
    pass

dead = Node(); dead.me = dead; gone = weakref.ref(dead); del dead   # start-up garbage
kept = Node(); kept.me = kept
before = len(gc.get_objects())
frozen = heap.settle()
after = len(gc.get_objects())
later = Node(); later.me = later; later_ref = weakref.ref(later); del later
gc.collect()
print(json.dumps({"before": before, "after": after, "frozen": frozen,
                  "startup_garbage_collected": gone() is None,
                  "kept": kept.me is kept, "later_garbage_collected": later_ref() is None}))
"""


def test_settle_collects_start_up_garbage_and_keeps_the_rest_out_of_later_collections() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SETTLE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    assert got["startup_garbage_collected"] and got["kept"]
    assert got["frozen"] >= got["before"] // 2  # what was alive is frozen…
    assert got["after"] < got["before"] // 10  # …so a full collection no longer scans it
    assert got["later_garbage_collected"]  # what comes after is collected as before


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, without those of the functions defined in it."""
    out, todo = [], list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(ast.iter_child_nodes(node))
    return out


def _calls(fn: ast.AST, name: str) -> list[int]:
    return sorted(
        n.lineno for n in _own_nodes(fn) if isinstance(n, ast.Call) and ast.unparse(n.func) == name
    )


def test_every_role_settles_its_heap_just_before_it_says_ready() -> None:
    """Wherever product code tells systemd it is ready, the same function settles the
    heap first: start-up is over there, and only there."""
    found, missing = [], []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef):
                    continue
                ready = _calls(fn, "notify.ready")
                if not ready:
                    continue
                where = f"{path.relative_to(ROOT)}:{ready[0]}"
                found.append(where)
                settled = [line for line in _calls(fn, "heap.settle") if line < ready[0]]
                if not settled:
                    missing.append(where)
    assert len(found) >= 5, found  # hub, pads, sync, display, kiosk
    assert not missing, f"notify.ready without heap.settle() before it: {missing}"
