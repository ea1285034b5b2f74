"""CastNonZeroInputPass: ``NonZero(bool or integer)`` becomes ``NonZero(Cast<to=FLOAT>(...))``.

TensorRT's NonZero takes FP32/FP16, not BOOL (TRT403) nor INT64 (TRT402), yet
every ``x[mask]`` / ``torch.nonzero(x > t)`` exports NonZero on a bool mask, and
``long_index.nonzero()`` (NVIDIA's bool-to-long index recipe) on INT64. NonZero
returns the indices of the non-zero elements; a bool or an integer cast to FP32
is non-zero exactly where it was (no integer rounds to 0.0), so the rewrite is
exact on every input. DOUBLE is left alone: a tiny double can underflow to 0.0.

Other ops that TRT403 reports on BOOL data (arithmetic, comparisons,
reductions) change meaning or dtype when cast, so they stay findings with the
PyTorch-side fix (cast the mask there).

Written as an onnxscript rewrite rule (``passes.rewriting``): ``NonZero(x)`` becomes
``NonZero(Cast(x))`` when the check finds ``x`` is BOOL or an integer; otherwise it says why
(DOUBLE, an unknown dtype), and a finding left at that NonZero says so.
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ..graph.dtypes import value_dtype
from ..ir import fill_inferred_types
from .rewriting import PatternRule, RewritePass, accept, nothing_to_do, refuse, rewrite_rule

__all__ = ["UNFIXABLE_EXAMPLES", "CastNonZeroInputPass"]

_EXACT_AS_FLOAT = {  # non-zero exactly where the original was
    ir.DataType.BOOL, ir.DataType.INT64, ir.DataType.INT32, ir.DataType.INT16, ir.DataType.INT8,
    ir.DataType.UINT64, ir.DataType.UINT32, ir.DataType.UINT16, ir.DataType.UINT8,
}  # fmt: skip
_ACCEPTED = frozenset({ir.DataType.FLOAT, ir.DataType.FLOAT16})  # what TensorRT's NonZero takes

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'

# TRT403's and TRT402's INVALID examples are not NonZero, so not this pass's.
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT403", 0, "ReduceMax over a bool mask: casting changes the output dtype; cast in PyTorch"),
    ("TRT403", 1, "Equal on bools: casting both sides is exact but belongs in PyTorch (a.int() == b.int())"),
    ("TRT402", 0, "MatMul on INT64: not NonZero; fix.int64-to-int32 narrows it when the values are known to fit"),
]


class CastNonZeroInputPass(RewritePass):
    """Cast NonZero's bool or integer input to FP32, which TensorRT's NonZero accepts."""

    name = "fix.cast-nonzero-input"
    fixes = ("TRT403", "TRT402")
    description = "Cast the BOOL or integer input of NonZero to FP32 (exact: non-zero exactly where it was)."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,4] x) => (int64[2,M] idx) {{
  zero = Constant <value = float {{0.0}}> ()
  mask = Greater(x, zero)
  idx = NonZero(mask)
}}""",
        f"""{_HEADER}
g (int64[N] alive) => (int64[1,M] idx) {{
  idx = NonZero(alive)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        fill_inferred_types(model)  # as the checker sees them: a TorchScript export declares no dtypes in an If
        return super().call(model)

    def rules(self, model: ir.Model) -> list[PatternRule]:
        return [PatternRule("NonZero", rewrite_rule(_pattern, _check, _cast_first, name=self.name))]


def _pattern(op, source):
    return op.NonZero(source, _outputs=["indices"])


def _check(context, source: ir.Value, **_):
    dtype = value_dtype(source)
    if dtype in _EXACT_AS_FLOAT:
        return accept()
    if dtype in _ACCEPTED:
        return nothing_to_do()
    if dtype is None:
        return refuse(f"the dtype of its input '{source.name}' is unknown, so a cast to FP32 is not known to be exact")
    if dtype == ir.DataType.DOUBLE:
        return refuse("its input is DOUBLE: values too small for FP32 would become 0.0, so a cast is not exact")
    return refuse(f"its input is {dtype.name}, which a cast to FP32 is not known to keep non-zero where it was")


def _cast_first(op, source: ir.Value, indices: ir.Value, **_):
    name = indices.producer().name
    cast = op.Cast(
        source, to=ir.DataType.FLOAT, _name=f"{name or 'NonZero'}_cast", _outputs=[f"{source.name}_as_float"]
    )
    cast.dtype, cast.shape = ir.DataType.FLOAT, source.shape
    return op.NonZero(cast, _name=name)
