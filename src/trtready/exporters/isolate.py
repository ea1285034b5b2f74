"""Run one exporter attempt in a forked child so that a crash cannot take trtready down.

The torch.export-based exporter can abort the whole process on some models
(segfaults in C++ kernels, fatal asserts). The child inherits the model through
fork (no pickling), writes its ONNX file to disk and sends a small picklable
record back through a pipe; a child that dies is reported with its signal and
the last line it printed.

Set ``TRTREADY_NO_ISOLATE=1`` to run attempts in-process (debugging, or
platforms without fork).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import one_line
from ..workspace import sweep_stale

__all__ = ["Isolated", "IsolatedError", "run_isolated", "start_isolated"]


class IsolatedError(Exception):
    """The child raised or crashed; ``str()`` is one line for the report."""


def run_isolated(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """``fn(*args)`` in a forked child; returns its (picklable) value or raises IsolatedError."""
    return start_isolated(fn, *args).result(timeout)


class Isolated:
    """A started child; ``result()`` waits for its value (several can run at once)."""

    def __init__(self, fn: Callable[..., Any], args: tuple):
        self._fn, self._args, self._child = fn, args, None
        self.name = getattr(fn, "__name__", "child")
        if os.environ.get("TRTREADY_NO_ISOLATE") or "fork" not in mp.get_all_start_methods():
            return  # run in-process, in result()
        ctx = mp.get_context("fork")
        self._receiver, sender = ctx.Pipe(duplex=False)
        sweep_stale(Path(tempfile.gettempdir()), "trtready-child-")
        with tempfile.NamedTemporaryFile(prefix=f"trtready-child-{os.getpid()}-", suffix=".log", delete=False) as log:
            self._log_path = log.name
        self._child = ctx.Process(target=_child_main, args=(sender, self._log_path, fn, args), daemon=True)
        # The child never collects what it inherits: garbage of the parent's (an ONNX Runtime session
        # in a reference cycle) would run its destructor there, which waits for threads the fork did
        # not copy (a hang); and collecting touches every object's header, copying its page.
        gc.freeze()
        try:
            self._child.start()
        finally:
            gc.unfreeze()
        sender.close()

    def result(self, timeout: float | None = None) -> Any:
        if self._child is None:
            return _in_process(self._fn, self._args)
        try:
            return _collect(self._child, self._receiver, self._log_path, timeout)
        finally:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            os.unlink(self._log_path)


def start_isolated(fn: Callable[..., Any], *args: Any) -> Isolated:
    """Fork a child running ``fn(*args)`` now; collect with ``.result(timeout)``."""
    return Isolated(fn, args)


def _in_process(fn: Callable[..., Any], args: tuple) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        raise IsolatedError(one_line(exc)) from exc


def _collect(child, receiver, log_path: str, timeout: float | None) -> Any:
    if receiver.poll(timeout):
        try:
            status, payload = receiver.recv()
        except EOFError:
            status, payload = "crashed", None
    else:
        raise IsolatedError(f"exporter timed out after {timeout:.0f}s")
    if status == "ok":
        return payload
    if status == "error":
        raise IsolatedError(payload)
    child.join(5)
    code = child.exitcode
    what = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
    last = _last_line(log_path)
    raise IsolatedError(f"exporter crashed the process ({what})" + (f": {last}" if last else ""))


def _child_main(sender, log_path: str, fn: Callable[..., Any], args: tuple) -> None:
    import torch

    torch.set_num_threads(1)  # OpenMP pools do not survive fork; one thread avoids a hang
    log_fd = os.open(log_path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    try:
        message = ("ok", fn(*args))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        traceback.print_exc()
        message = ("error", one_line(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    sender.send(message)
    sender.close()
    os._exit(0)


def _last_line(log_path: str) -> str | None:
    try:
        with open(log_path, errors="replace") as f:
            lines = [ln.strip() for ln in f.read()[-4000:].splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1][:300] if lines else None
