"""Temporary files and folders that a killed run cannot leave behind for long.

An interrupted run (Ctrl-C, or SIGTERM from ``timeout``, ``docker stop``, a CI
cancel: the CLI turns SIGTERM into the same ``KeyboardInterrupt``) removes its
own temporary files on the way out. SIGKILL leaves no way out, so every
temporary name carries the process id (``trtready-<pid>-...``,
``.<name>.<pid>.<random>.tmp``) and each run first removes the ones whose
process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError

__all__ = ["check_output_path", "sibling_temp", "sweep_stale", "work_dir"]

_PID = re.compile(r"^(?P<prefix>.*?)(?P<pid>\d+)-")


@contextlib.contextmanager
def work_dir(prefix: str = "trtready-") -> Iterator[Path]:
    """A private folder in the system temp dir, removed on exit; stale ones of dead runs go first."""
    base = Path(tempfile.gettempdir())
    sweep_stale(base, prefix)
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sibling_temp(path: Path) -> Path:
    """An empty temporary file beside ``path`` (for an atomic rename), named after this process.

    It has the mode a plain ``open()`` would give (0666 less the umask), not mkstemp's 0600: the
    file it becomes must be readable by whoever reads what the user writes (a TensorRT container
    running as another user)."""
    directory = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    sweep_stale(directory, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def sweep_stale(directory: Path, prefix: str) -> None:
    """Remove ``<prefix><pid>-*`` entries of ``directory`` whose process no longer runs."""
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        match = _PID.match(entry.name[len(prefix) :])
        if match is None or match["prefix"] or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def check_output_path(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"output path {path} is a directory", hint="give a file name ending in .onnx")
    if not directory.is_dir():
        raise UserError(f"output directory {directory} does not exist")
    if not _writable(directory):
        raise UserError(f"cannot write to {directory}", hint="choose another output path")


def _writable(directory: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False
