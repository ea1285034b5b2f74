"""``paused_gc()``: Python's cyclic garbage collector off while a large graph is read or checked.

Reading or checking a graph allocates objects by the hundred thousand (values, nodes, usages,
per-value facts); every so many allocations the collector runs, and each full collection walks
every live object, the whole graph included. On a 100k-node model that was most of ``check``'s
time. Nothing in these steps makes garbage cycles, so the collector is paused for them and put
back as it was (reference counting still frees everything as usual).
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
            gc.enable()
