"""``ALL_PASSES``: every fix pass, in the order they should run; :func:`autofix_of`: the fix of a
checker rule, looked up by the rule ids each pass declares it ``fixes`` (rules do not name passes).

1. DoubleToFloatPass first: later passes (and their constant evaluation) then
   see FP32 types only.
2. FoldIfPass: inlining branches exposes the nodes the next passes look at.
3. FoldShapeArithmeticPass, then ConstantAxesPass: fold shape arithmetic on
   static dims into constants (ConstantAxes catches the axes left over).
4. UnpinBatchPass: on folded shapes; it writes literal 0s ("copy dim 0") into
   Reshape targets, so it runs before
5. ReshapeAllowzeroPass, which never touches a target holding a literal 0.
6. CollapseGroupNormPass: its matcher expects the exporter's ``[0, G, -1]`` target.
7. Int64ToInt32Pass: release-dependent and narrowest.
8. CastNonZeroInputPass and CastBeforeLayoutPass: local casts, independent of the others.

Exact on every input: FoldIf, FoldShapeArithmetic, ConstantAxes,
CollapseGroupNorm (up to float rounding), Int64ToInt32 (range-checked) and
CastNonZeroInput, CastBeforeLayout.
With limits: DoubleToFloat (FP32 precision/range), UnpinBatch (exact at the
export batch only: ``changes_other_batches``), ReshapeAllowzero (exact unless a
dim is 0, where it gives the real-zero meaning PyTorch intended).
"""

from __future__ import annotations

from .base import FixPass
from .cast_before_layout import CastBeforeLayoutPass
from .cast_nonzero_input import CastNonZeroInputPass
from .double_to_float import DoubleToFloatPass
from .fold_if import FoldIfPass
from .fold_shapes import FoldShapeArithmeticPass
from .groupnorm import CollapseGroupNormPass
from .int64_to_int32 import Int64ToInt32Pass
from .reshape_allowzero import ReshapeAllowzeroPass
from .squeeze_axes import ConstantAxesPass
from .unpin_batch import UnpinBatchPass

__all__ = ["ALL_PASSES", "autofix_of", "fixing_passes"]

ALL_PASSES = [
    DoubleToFloatPass,
    FoldIfPass,
    FoldShapeArithmeticPass,
    ConstantAxesPass,
    UnpinBatchPass,
    ReshapeAllowzeroPass,
    CollapseGroupNormPass,
    Int64ToInt32Pass,
    CastNonZeroInputPass,
    CastBeforeLayoutPass,
]


def fixing_passes(rule_id: str) -> list[type[FixPass]]:
    """The passes that remove findings of ``rule_id``, in run order."""
    return [cls for cls in ALL_PASSES if rule_id in cls.fixes]


def autofix_of(rule_id: str) -> type[FixPass] | None:
    """The autofix of rule ``rule_id``: the first pass to run of those that fix it, or None."""
    found = fixing_passes(rule_id)
    return found[0] if found else None
