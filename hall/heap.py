"""A role's heap once it has started: collected once, then frozen out of the collector.

A role process starts by importing its modules and building its objects (schemas, the
queue's state, Qt widgets): tens of thousands of objects that live as long as the process.
CPython's collector scans every object of its oldest generation in each full collection,
so without this a full collection every few tens of seconds stops all the role's threads
for 50-80 ms (measured in `hall pads` with 31 pads on the 2-core test VM: one such pause
made a press's round trip to the hub 85 ms instead of 7). `gc.freeze()` moves what
is alive after start-up into the permanent generation, which no collection scans again;
what the role allocates later is collected as before (the `gc` module's documentation
of `gc.freeze`). A frozen object is still freed by reference counting once nothing refers
to it (yesterday's queue state, a replaced catalog); only a reference cycle among frozen
objects would stay until the process ends. Start-up's cycles are modules, classes and the
role's own objects, which live that long anyway.

Each role calls :func:`settle` once, when it has started and just before it tells systemd
it is ready (hall.sdnotify.ready). Not for tests or libraries: it is the process's owner
who knows that start-up is over.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect what start-up left behind, then freeze the rest; how many objects are
    frozen (the process's total so far)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
