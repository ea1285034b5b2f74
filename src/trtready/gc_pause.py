"""``paused_gc()``: Python's cyclic garbage collector off while a large graph is read or checked.

Reading or checking a graph allocates objects by the hundred thousand (values, nodes, usages,
per-value facts); every so many allocations the collector runs, and each full collection walks
every live object, the whole graph included. On a 100k-node model that was most of ``check``'s
time. Nothing in these steps makes garbage cycles, so the collector is paused for them and put
back as it was (reference counting still frees everything as usual), with what they made moved to
the oldest generation rather than walked by the next young collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _age_young_objects()
            gc.enable()


def _age_young_objects() -> None:
    """Move the objects made while paused to the oldest generation, where a full collection finds them
    in time, instead of having the first young collection after ``enable()`` walk them all (on a 100k-node
    check, hundreds of thousands: 5-10% of it). ``freeze`` + ``unfreeze`` do that by moving lists, without
    walking them; skipped when the program keeps objects frozen on purpose (before a ``fork``)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
