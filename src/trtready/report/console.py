"""The terminal: one rich Console, and a status line for long steps."""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator

from rich.console import Console

__all__ = ["PROGRESS_LINE", "console", "elapsed", "mark_command_start", "progress_status"]

_CONSOLE: Console | None = None
_START = time.perf_counter()


def console() -> Console:
    global _CONSOLE
    if _CONSOLE is None:
        _CONSOLE = Console(highlight=False, soft_wrap=False)
    return _CONSOLE


def mark_command_start() -> None:
    """Count progress times from now (the CLI calls it first thing)."""
    global _START
    _START = time.perf_counter()


def elapsed() -> float:
    """Seconds since the command started."""
    return time.perf_counter() - _START


#: a progress line as printed off a terminal (CI logs): ``[  12.3s] exporting with ...``
PROGRESS_LINE = re.compile(r"^\[ *\d+\.\ds\] ")
SLOW_STEP = 1.0  # seconds a step runs before it is shown


@contextlib.contextmanager
def progress_status(*, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """Yield ``say(message)``, which starts a step: a spinner on a terminal; elsewhere (CI logs) a
    line ``[time] message`` once the step has run SLOW_STEP seconds (so quick commands, and bad
    input, print nothing but their result); nothing when ``quiet``. Times count from the start of
    the command."""
    out = console()
    if quiet:
        yield lambda message: None
        return
    if out.is_terminal:
        with out.status("starting") as status:
            yield lambda message: status.update(f"[{elapsed():5.1f}s] {message}")
        return
    pending: list[threading.Timer] = []

    def show(started: float, message: str) -> None:
        print(f"[{started:5.1f}s] {message}", file=sys.stderr, flush=True)

    def say(message: str) -> None:
        for timer in pending:
            timer.cancel()
        timer = threading.Timer(SLOW_STEP, show, (elapsed(), message))
        timer.daemon = True
        pending[:] = [timer]
        timer.start()

    try:
        yield say
    finally:
        for timer in pending:
            timer.cancel()
