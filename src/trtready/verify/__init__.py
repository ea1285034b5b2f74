"""Verification: ONNX Runtime (CPU) against PyTorch, on the user's own inputs, at several batch sizes.

* Inputs (:mod:`.cases`): the user's example at the export batch; rows resampled
  and recombined from it (or from the user's data) at other batch sizes, inside
  each input's observed domain; batch-free scalars (counts, flags) varied.
* Data-dependent Python values (:mod:`.paths`): a file from a tracer whose
  data-dependent values never changed over the verification runs is verified
  on the traced path only (status ``unproved``, finding VER003).
* Tolerances (:mod:`.compare`, overridable): a floating output passes when
  ``rel_err = ||onnx - torch|| / ||torch|| <= rtol`` *and* every element satisfies
  ``|g - r| <= atol * min(1, rms(r)) + rtol * (|r| + rms(r))``; defaults
  ``atol = 1e-4``, ``rtol = 1e-3``. Integer and bool outputs must match
  exactly; a shape or dtype mismatch fails.
* A *degenerate* reference (empty, constant, or the same for every batch row
  although the inputs differ) and a *non-deterministic* one (PyTorch gives other
  outputs on a second run) prove nothing either way: statuses ``degenerate`` and
  ``nondeterministic`` instead of ``pass`` or ``fail``.
"""

from __future__ import annotations

import importlib

# Attributes are loaded on first use (PEP 562): ``compare`` and ``session`` are numpy/ONNX Runtime
# only, and the checker reaches them through ``passes``; ``cases``/``paths``/``runner`` import torch.
_HOMES = {
    "Case": "cases", "InputPool": "cases", "build_cases": "cases",
    "DEFAULT_ATOL": "compare", "DEFAULT_RTOL": "compare", "compare_output": "compare",
    "traced_path_findings": "paths", "traced_path_rows": "paths",
    "diagnose_batch_failure": "pinned",
    "References": "runner", "default_batches": "runner", "run_references": "runner", "verify_file": "runner",
}  # fmt: skip

__all__ = [
    "Case",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "InputPool",
    "References",
    "build_cases",
    "compare_output",
    "default_batches",
    "diagnose_batch_failure",
    "run_references",
    "traced_path_findings",
    "traced_path_rows",
    "verify_file",
]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
