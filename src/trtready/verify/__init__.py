"""Verification: ONNX Runtime (CPU) against PyTorch, at several batch sizes.

Tolerances (documented in docs/verification.md, overridable):

* floating outputs pass when ``max_abs <= atol`` **or** ``rel_err <= rtol``,
  where ``rel_err = ||onnx - torch||_2 / ||torch||_2``;
  defaults ``atol = 1e-4``, ``rtol = 1e-3``;
* integer and bool outputs must match exactly;
* a shape or dtype mismatch fails;
* a *degenerate* reference (empty, or constant over all its elements, or the
  same for every batch row although the inputs differ) makes the comparison
  meaningless: such rows get status ``degenerate`` instead of ``pass``.
"""

from __future__ import annotations

from .compare import DEFAULT_ATOL, DEFAULT_RTOL, compare_output
from .pinned import diagnose_batch_failure
from .runner import default_batches, verify_file

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "compare_output",
    "default_batches",
    "diagnose_batch_failure",
    "verify_file",
]
