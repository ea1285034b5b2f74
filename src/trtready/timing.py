"""Per-stage timings: ``with timed(steps, "verify"):`` adds the seconds the block took to ``steps``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["timed"]


@contextmanager
def timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Add the block's wall time to ``steps[name]`` (summed when a stage runs more than once)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - start
