"""``check_files()``: ``check`` over several ONNX files or directories, one Result per file.

>>> results = check_files(["models/"], trt="10.1")    # every *.onnx under models/, sorted

A file that cannot be read does not stop the others: its Result carries the
one-line reason in ``errors`` (and no findings). Bad options (an unknown release)
and paths that do not exist raise a :class:`~trtready.errors.UserError` first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import UserError
from .result import Result

__all__ = ["check_files", "onnx_files"]


def onnx_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files named, and every ``*.onnx`` under each directory named (recursively, sorted)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            below = sorted(p for p in path.rglob("*.onnx") if p.is_file())
            if not below:
                raise UserError(f"no .onnx files under {path}", hint="name the files, or a directory that holds some")
            found += below
        elif path.exists():
            found.append(path)
        else:
            raise UserError(f"no such file or directory: {path}")
    return list(dict.fromkeys(found))


def check_files(
    paths: Iterable[str | os.PathLike], *, trt: str | None = None, plugins: Iterable[str] = ()
) -> list[Result]:
    """One ``check`` Result per file of :func:`onnx_files`, in that order."""
    from .checking import check
    from .trt_ops import load_release

    release = load_release(trt)
    plugins = list(plugins)
    results = []
    for path in onnx_files(paths):
        try:
            results.append(check(path, trt=release.version, plugins=plugins))
        except UserError as exc:
            options = {"trt": release.version, "plugins": plugins, "select": None, "ignore": None}
            results.append(Result(command="check", model=os.fspath(path), options=options, errors=[str(exc)]))
    return results
