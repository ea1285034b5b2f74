"""Where a finding points, as ``path``, ``line`` and ``column`` for one-line formats.

A finding that knows its PyTorch source line points at that line of the Python
file (column: the first non-blank character of the line, as a linter points at
a statement). Any other finding points at the file the command was about (the
.onnx file checked, fixed or written; the model's Python file for ``doctor``)
at line 1, column 1, as ruff and other linters place file-level diagnostics.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from pathlib import Path

from ..result import Finding, Result
from .groups import display_path

__all__ = ["Position", "fallback_path", "position"]


@dataclass(frozen=True)
class Position:
    path: str
    line: int
    column: int
    in_source: bool  # True: a line of the user's Python code; False: the file as a whole

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def position(finding: Finding, fallback: str) -> Position:
    source = finding.source
    if source and source.file and source.line:
        return Position(display_path(source.file), source.line, _column(source.file, source.line), True)
    return Position(display_path(fallback) if fallback else "-", 1, 1, False)


def fallback_path(result: Result) -> str:
    """The file a finding without a source line is reported on, for ``result``'s command."""
    if result.output_path:
        return result.output_path
    model = result.model or ""
    if model and Path(model).is_file():
        return model
    spec_file = model.rsplit(":", 1)[0] if ":" in model else ""
    return spec_file if spec_file and Path(spec_file).is_file() else model


def _column(file: str, line: int) -> int:
    text = linecache.getline(file, line)
    stripped = text.lstrip()
    return len(text) - len(stripped) + 1 if stripped else 1
