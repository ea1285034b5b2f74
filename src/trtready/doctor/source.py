"""Pointing at the user's line: which frames are the user's, and how to read the
locations each probe hands back (Python frames, TorchScript source ranges,
torch.export stack traces, "File ..., line N" blocks in error messages)."""

from __future__ import annotations

import importlib.util
import linecache
import os
import re
from dataclasses import dataclass

from ..result import SourceLocation


def _package_dir(name: str) -> str | None:
    """Where package ``name`` is installed, found without importing it (the checks' catalog entries
    are read by ``trtready rules`` and ``explain``, which must not import torch)."""
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    return os.path.dirname(os.path.abspath(origin)) + os.sep if origin else None


_TORCH_DIR = _package_dir("torch")
_TRTREADY_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_SKIP_DIRS = tuple(d for d in (_TORCH_DIR, _TRTREADY_DIR) if d)


@dataclass(frozen=True)
class Site:
    """A place in the user's code (picklable; crosses the fork boundary)."""

    file: str
    line: int
    function: str | None = None
    module: str | None = None  # module path, e.g. "backbone.layer1.0"

    def location(self) -> SourceLocation:
        code = linecache.getline(self.file, self.line).strip() or None
        return SourceLocation(self.file, self.line, self.module or None, self.function, code)

    def key(self) -> tuple[str, int]:
        return (self.file, self.line)


def is_user_file(filename: str | None) -> bool:
    """Not torch, not trtready, not a synthetic ``<string>`` file."""
    if not filename or filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    return not path.startswith(_SKIP_DIRS)


def site_of_frame(frame, module: str | None = None) -> Site | None:
    """The Site of a live frame when it is the user's."""
    if frame is None or not is_user_file(frame.f_code.co_filename):
        return None
    return Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, module)


def caller_site(depth: int = 2) -> Site | None:
    """The frame that called into torch ``depth`` levels up, when it is the user's."""
    import sys

    try:
        return site_of_frame(sys._getframe(depth))
    except ValueError:
        return None


_RANGE_FRAME = re.compile(r"^(?P<file>.+?)\((?P<line>\d+)\): (?P<fn>\S+)\s*$")


def site_of_source_range(text: str, module: str | None = None) -> Site | None:
    """First user frame of a TorchScript ``node.sourceRange()`` (``file(line): fn`` lines)."""
    for raw in (text or "").splitlines():
        match = _RANGE_FRAME.match(raw.strip())
        if match and is_user_file(match["file"]):
            return Site(match["file"], int(match["line"]), match["fn"], module)
    return None


_FILE_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<fn>\S+))?')


def site_of_traceback_text(text: str, module: str | None = None, last: bool = True) -> Site | None:
    """A user frame from ``File "...", line N, in fn`` lines (stack traces, error messages)."""
    sites = [
        Site(m["file"], int(m["line"]), m["fn"], module)
        for m in _FILE_LINE.finditer(text or "")
        if is_user_file(m["file"])
    ]
    if not sites:
        return None
    return sites[-1] if last else sites[0]


def module_path(name: str | None) -> str | None:
    """``module.backbone.conv`` (inside trtready's FlatModel) -> ``backbone.conv``."""
    if not name:
        return None
    if name == "module":
        return None
    return name[len("module.") :] if name.startswith("module.") else name
