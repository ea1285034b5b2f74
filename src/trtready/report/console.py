"""The terminal: one rich Console, and a status line for long steps."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from rich.console import Console

__all__ = ["console", "progress_status"]

_CONSOLE: Console | None = None


def console() -> Console:
    global _CONSOLE
    if _CONSOLE is None:
        _CONSOLE = Console(highlight=False, soft_wrap=False)
    return _CONSOLE


@contextlib.contextmanager
def progress_status() -> Iterator[Callable[[str], None]]:
    """Yield ``say(message)``: a spinner on a terminal, timestamped lines elsewhere (CI logs)."""
    out = console()
    if not out.is_terminal:
        start = time.perf_counter()

        def say(message: str) -> None:
            print(f"[{time.perf_counter() - start:5.1f}s] {message}", file=sys.stderr, flush=True)

        yield say
        return
    with out.status("starting") as status:
        yield lambda message: status.update(message)
