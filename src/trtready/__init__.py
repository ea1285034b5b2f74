"""trtready: PyTorch model in, TensorRT-ready and verified ONNX file out.

Public API (everything else is private and may change)::

    result = trtready.export(model, (x,), "model.onnx")
    print(trtready.summary(result))
    findings = trtready.check("model.onnx").findings

Heavy modules (torch, onnxruntime) are imported lazily, on first use; ``check`` and ``check_files``
import neither, nor sympy (``onnx_ir`` imports it; it is deferred until something reads it).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .deferred_imports import defer_sympy
from .errors import ExitCode, TrtreadyError, UserError
from .result import Artifact, Attempt, Finding, PassRecord, Result, Severity, SourceLocation, VerifyRow

__version__ = "0.1.0"

__all__ = [
    "Artifact",
    "Attempt",
    "ExitCode",
    "Finding",
    "PassRecord",
    "Result",
    "Severity",
    "SourceLocation",
    "TrtreadyError",
    "UserError",
    "VerifyRow",
    "check",
    "check_files",
    "export",
    "summary",
]

_LAZY = {"export": "trtready.api", "check": "trtready.checking", "check_files": "trtready.check_paths"}
_LINT = ("check", "check_files")  # they import neither torch nor sympy (see deferred_imports)

if TYPE_CHECKING:
    from .api import export
    from .check_paths import check_files
    from .checking import check


def summary(result: Result, *, verbose: bool = False) -> str:
    """The plain-text report of ``result`` (what ``trtready export`` prints), verdict included."""
    from .report.text import render_plain

    return render_plain(result, verbose=verbose)


def __getattr__(name: str):
    if name in _LAZY:
        if name in _LINT:
            defer_sympy()  # onnx_ir imports sympy (0.3-0.4 s), which checking never uses
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trtready' has no attribute {name!r}")
