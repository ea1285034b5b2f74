"""Writing a command's report: to stdout, or atomically to ``-o FILE``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import UserError
from ..workspace import sibling_temp

__all__ = ["write_stdout", "write_text_atomic"]


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``.

    A failed write leaves any previous file untouched and no partial file behind.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"cannot write {path}: no such directory {directory}")
    try:
        tmp = sibling_temp(path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with open(tmp, "w", encoding="utf-8") as stream:
            stream.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_stdout(text: str) -> None:
    """Print ``text`` with exactly one trailing newline."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
