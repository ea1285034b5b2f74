"""Exceptions and exit codes.

Exception tree::

    TrtreadyError                 base of everything trtready raises on purpose
    ├── UserError                 bad input: one line and a hint, no traceback
    │   ├── SpecError             a model spec that cannot be resolved or loaded
    │   ├── InputSpecError        an --input / example-input problem
    │   ├── ModelRunError         the model raised or returned something unusable
    │   └── ModelFileError        an ONNX/.pt/.pt2 file that cannot be read
    └── InternalError             a bug in trtready: traceback kept

Library code never prints and never exits. Expected failures inside a run
(an exporter that fails, a verification mismatch) are *recorded* on the
:class:`~trtready.result.Result`, never raised.

Exit codes are bit flags so that a script can tell what went wrong:

======  ==========================================================
code    meaning
======  ==========================================================
0       success
1       TensorRT error-level findings remain in the chosen model
2       usage error (bad command line, bad input, unreadable file)
4       verification failed (ONNX Runtime disagrees with PyTorch)
8       a stage failed (no exporter produced a model, a write failed)
======  ==========================================================

Flags combine: 5 means error findings *and* a verification mismatch.
"""

from __future__ import annotations

import enum
import re

__all__ = [
    "one_line",
    "ExitCode",
    "InputSpecError",
    "InternalError",
    "ModelFileError",
    "ModelRunError",
    "SpecError",
    "TrtreadyError",
    "UserError",
]


class ExitCode(enum.IntFlag):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    VERIFY_FAILED = 4
    STAGE_FAILED = 8


class TrtreadyError(Exception):
    """Base of every exception trtready raises on purpose."""


class UserError(TrtreadyError):
    """Bad input from the user: reported as one line plus a hint."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class SpecError(UserError):
    """A model spec that cannot be resolved, imported or built."""


class InputSpecError(UserError):
    """Example inputs that are missing, malformed or rejected by the model."""


class ModelRunError(UserError):
    """The model raised, or returned something that cannot be exported."""


class ModelFileError(UserError):
    """A model file (ONNX, TorchScript .pt, ExportedProgram .pt2) that cannot be read."""


class InternalError(TrtreadyError):
    """A bug in trtready. The traceback is kept."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SUMMARY = "## Exception summary"


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first meaningful line`` of an exception, for reports and one-line errors.

    torch.onnx wraps the real cause in a long banner; its "Exception summary"
    section holds the line worth showing.
    """
    text = _ANSI.sub("", str(exc))
    if _SUMMARY in text:
        text = text.split(_SUMMARY, 1)[1]
        text = re.sub(r"^\s*<class '(?:[\w.]+\.)?(\w+)'>:\s*", r"\1: ", text)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        first = lines[0] if lines else type(exc).__name__
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        first = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 3] + "..."
